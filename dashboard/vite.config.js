import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The app serves the bundle: index.html at `/` and the hashed files under /dashboard-assets/
// (web/dashboard.py). `npm run dev` proxies the API to a server started with `python app.py`.
const api = process.env.DASHBOARD_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "../web/dashboard_bundle",
    emptyOutDir: true,
    assetsDir: "dashboard-assets",
    sourcemap: false,
  },
  server: {
    proxy: { "/graphql": { target: api, ws: true } },
  },
});

import { useEffect, useState } from "react";

/**
 * Routes live in the URL's hash (`#/`, `#/?page=2&status=PROCESSING`, `#/batches/<id>`), so the
 * server serves one page at `/` and the browser's back button returns to the same list view.
 */
export function parseHash(hash) {
  const [path, query = ""] = hash.replace(/^#/, "").split("?");
  const segments = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { segments, params: new URLSearchParams(query) };
}

export function hrefFor(segments, params = {}) {
  const path = segments.map(encodeURIComponent).join("/");
  const query = new URLSearchParams(
    Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== ""),
  ).toString();
  return `#/${path}${query ? `?${query}` : ""}`;
}

export function navigate(href, { replace = false } = {}) {
  if (replace) {
    window.history.replaceState(null, "", href);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    window.location.hash = href;
  }
}

export function useHashRoute() {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return parseHash(hash);
}

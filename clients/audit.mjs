// The GraphQL over HTTP specification's reference audit (graphql-http's serverAudits) against a
// live server, every request carrying a bearer token. Fails unless every audit is "ok" or a
// notice (a MAY of the specification), and on any answer of HTTP 500 or above, notices included.
//   GRAPHQL_URL=http://127.0.0.1:8000/graphql GRAPHQL_TOKEN=<token> node audit.mjs
import { serverAudits } from "graphql-http";

const url = process.env.GRAPHQL_URL;
const token = process.env.GRAPHQL_TOKEN;
if (!url || !token) {
  console.error("set GRAPHQL_URL and GRAPHQL_TOKEN");
  process.exit(2);
}

function fetchWithToken(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
let serverErrors = 0;
for (const audit of serverAudits({ url, fetchFn: fetchWithToken })) {
  const result = await audit.fn();
  counts[result.status] += 1;
  if (result.response && result.response.status >= 500) serverErrors += 1;
  if (result.status !== "ok") {
    let body = "";
    try {
      body = await result.response.text();
    } catch {
      body = "(body already read)";
    }
    console.log(`${result.status.toUpperCase()} ${audit.id} ${audit.name}`);
    console.log(`  ${result.reason}`);
    console.log(`  HTTP ${result.response.status} ${result.response.headers.get("content-type")}: ${body.slice(0, 300)}`);
  }
}
console.log(
  `GraphQL over HTTP audit of ${url}: ${counts.ok} ok, ${counts.notice} notices, ` +
    `${counts.warn} warnings, ${counts.error} errors, ${serverErrors} answers of HTTP 5xx`,
);
process.exit(counts.warn + counts.error + serverErrors === 0 ? 0 : 1);

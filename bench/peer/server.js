// PostGraphile v4 on the benchmark's database: the bench's anchor (bench/peer_server.py starts it).
//
// Environment: PEER_DATABASE_URL, PEER_PORT (127.0.0.1 only), PEER_WORKERS (Node processes, as
// many as the API's workers), PEER_POOL_SIZE (connections per process), PEER_MAX_SECONDS (the
// process group exits by itself after that long, whatever happens to the bench).
"use strict";

const cluster = require("node:cluster");
const http = require("node:http");
const { Pool } = require("pg");
const { postgraphile } = require("postgraphile");
const { makeAddPgTableConditionPlugin } = require("graphile-utils");

const workers = Number(process.env.PEER_WORKERS || "1");
const maxSeconds = Number(process.env.PEER_MAX_SECONDS || "3600");

// `campaignContacts…(condition: {search: "zeld"})`: the API's search exactly
// (db/contacts.py): `search_text @~~ lower('%term%')` with `\`, `%` and `_` escaped, the LIKE
// operator of migration 0007, so the same trigram index can serve both.
const SearchCondition = makeAddPgTableConditionPlugin(
  "public",
  "campaign_contacts",
  "search",
  (build) => ({
    description: "Contacts whose search text contains this, as the API's `search`.",
    type: build.graphql.GraphQLString,
  }),
  (value, helpers) => {
    if (value == null) return null;
    const { sql, sqlTableAlias } = helpers;
    const escaped = String(value).replace(/[\\%_]/g, (c) => "\\" + c);
    return sql.fragment`${sqlTableAlias}.search_text OPERATOR(public.@~~) lower(${sql.value(
      "%" + escaped + "%",
    )})`;
  },
);

function serve() {
  const pool = new Pool({
    connectionString: process.env.PEER_DATABASE_URL,
    max: Number(process.env.PEER_POOL_SIZE || "10"),
    idleTimeoutMillis: 2000, // give connections back between cells (the server is shared)
  });
  const handler = postgraphile(pool, "public", {
    appendPlugins: [SearchCondition],
    disableDefaultMutations: true,
    disableQueryLog: true,
    dynamicJson: true,
    graphiql: false,
    ignoreRBAC: true,
    setofFunctionsContainNulls: false,
  });
  http.createServer(handler).listen(Number(process.env.PEER_PORT), "127.0.0.1");
  process.on("disconnect", () => process.exit(0)); // the primary is gone
}

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i += 1) cluster.fork();
  const stop = () => {
    for (const worker of Object.values(cluster.workers)) worker.process.kill("SIGTERM");
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  setTimeout(stop, maxSeconds * 1000).unref();
  cluster.on("exit", (worker, code) => {
    if (code !== 0) {
      console.error(`peer worker ${worker.process.pid} exited with ${code}`);
      stop();
    }
  });
} else {
  if (cluster.isPrimary) setTimeout(() => process.exit(0), maxSeconds * 1000).unref();
  serve();
}

// The README's Apollo Client snippets, run as they stand in README.md ("## Apollo Client"), with
// the @apollo/client 4.x of package-lock.json, against a live server:
//   GRAPHQL_URL=http://127.0.0.1:8000/graphql GRAPHQL_TOKEN=<token> node --test
// The hook snippet runs in React under jsdom (@testing-library/react's renderHook).
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { JSDOM } from "jsdom";

const url = process.env.GRAPHQL_URL;
const token = process.env.GRAPHQL_TOKEN;
assert.ok(url && token, "set GRAPHQL_URL and GRAPHQL_TOKEN");

const dom = new JSDOM("<!doctype html><html><body></body></html>", { url: "http://localhost/" });
for (const name of ["window", "document", "navigator", "HTMLElement", "Node"]) {
  Object.defineProperty(globalThis, name, { value: dom.window[name], configurable: true });
}
globalThis.IS_REACT_ACT_ENVIRONMENT = true;

const exchanges = [];
const nodeFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const response = await nodeFetch(input, init);
  exchanges.push({
    accept: new Headers(init?.headers).get("accept"),
    contentType: response.headers.get("content-type"),
    status: response.status,
  });
  return response;
};

async function readmeSnippets() {
  const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const start = readme.indexOf("## Apollo Client");
  assert.ok(start >= 0, "README has no '## Apollo Client' section");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const blocks = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]);
  assert.equal(blocks.length, 2, "the Apollo section should hold two js snippets");
  const folder = new URL("./.readme-snippets/", import.meta.url);
  await mkdir(folder, { recursive: true });
  await writeFile(new URL("client.mjs", folder), blocks[0]);
  await writeFile(new URL("contacts.mjs", folder), blocks[1]);
  return {
    ...(await import(new URL("client.mjs", folder).href)),
    ...(await import(new URL("contacts.mjs", folder).href)),
  };
}

const { createClient, useContacts } = await readmeSnippets();
const { gql } = await import("@apollo/client");
const { ApolloProvider } = await import("@apollo/client/react");
const React = await import("react");
const { renderHook, waitFor, act, cleanup } = await import("@testing-library/react");

const clients = [];
function client() {
  const made = createClient(token, url);
  clients.push(made);
  return made;
}
after(() => {
  cleanup();
  for (const made of clients) made.stop();
});

const BATCHES = gql`
  query Batches($first: Int, $after: String) {
    batches(first: $first, after: $after) {
      totalCount
      edges { cursor node { id name } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

function ids(edges) {
  return edges.map((edge) => edge.node.id);
}

let biggestBatch;
before(async () => {
  const { data } = await client().query({
    query: gql`{ batches(first: 100) { nodes { id totalContacts } } }`,
  });
  biggestBatch = [...data.batches.nodes].sort((a, b) => b.totalContacts - a.totalContacts)[0];
  assert.ok(biggestBatch.totalContacts >= 15, "the demo data should have a batch of 15+ contacts");
});

test("createClient talks to the API and gets application/graphql-response+json", async () => {
  exchanges.length = 0;
  const { data } = await client().query({ query: BATCHES, variables: { first: 2 } });

  assert.ok(data.batches.totalCount > 0);
  assert.match(exchanges[0].accept, /^application\/graphql-response\+json/);
  assert.match(exchanges[0].contentType, /^application\/graphql-response\+json/);
  assert.equal(exchanges[0].status, 200);
});

test("three pages of batches fetched with fetchMore equal one big page", async () => {
  const paged = client();
  const observable = paged.watchQuery({ query: BATCHES, variables: { first: 4 } });
  let latest;
  const subscription = observable.subscribe((result) => {
    latest = result;
  });
  try {
    await waitFor(() => assert.equal(latest?.dataState, "complete"));
    for (let page = 2; page <= 3; page += 1) {
      await observable.fetchMore({
        variables: { after: latest.data.batches.pageInfo.endCursor },
      });
      await waitFor(() => assert.equal(latest.data.batches.edges.length, 4 * page));
    }
    const { data: whole } = await client().query({ query: BATCHES, variables: { first: 12 } });

    const merged = ids(latest.data.batches.edges);
    assert.equal(new Set(merged).size, 12);
    assert.deepEqual(merged, ids(whole.batches.edges));
  } finally {
    subscription.unsubscribe();
  }
});

test("useContacts pages a batch's contacts with more(): three pages equal one big page", async () => {
  const apollo = client();
  const wrapper = ({ children }) => React.createElement(ApolloProvider, { client: apollo }, children);
  const { result } = renderHook(() => useContacts(biggestBatch.id, 5), { wrapper });

  await waitFor(() => assert.equal(result.current.data?.batch.contacts.edges.length, 5));
  for (let page = 2; page <= 3; page += 1) {
    await act(() => result.current.more());
    await waitFor(() => assert.equal(result.current.data.batch.contacts.edges.length, 5 * page));
  }
  const { data: whole } = await client().query({
    query: gql`
      query ($id: ID!) {
        batch(id: $id) {
          id
          contacts(first: 15, sort: [{ field: NAME }]) { edges { cursor node { id } } }
        }
      }`,
    variables: { id: biggestBatch.id },
  });

  const merged = ids(result.current.data.batch.contacts.edges);
  assert.equal(new Set(merged).size, 15);
  assert.deepEqual(merged, ids(whole.batch.contacts.edges));
  assert.equal(result.current.data.batch.contacts.totalCount, biggestBatch.totalContacts);
});

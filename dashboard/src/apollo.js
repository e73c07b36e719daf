import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { SetContextLink } from "@apollo/client/link/context";
import { ErrorLink } from "@apollo/client/link/error";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { relayStylePagination } from "@apollo/client/utilities";
import { CombinedGraphQLErrors, ServerError } from "@apollo/client/errors";
import { OperationTypeNode } from "graphql";
import { createClient as createWsClient } from "graphql-ws";

/** The type policies the README recommends: both lists are Relay connections. */
export function createCache() {
  return new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          batches: relayStylePagination(["search", "status", "campaignId"]),
        },
      },
      Batch: {
        fields: {
          contacts: relayStylePagination(["filter", "search", "sort"]),
        },
      },
    },
  });
}

export function isUnauthenticated(error) {
  if (!error) return false;
  if (ServerError.is(error) && error.statusCode === 401) return true;
  return (
    CombinedGraphQLErrors.is(error) &&
    error.errors.some((e) => e.extensions?.code === "UNAUTHENTICATED")
  );
}

function websocketUrl() {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}/graphql`;
}

/**
 * One client per token (`dispose` stops it and closes its socket). Queries and mutations go
 * over HTTP to the same origin; subscriptions go over graphql-transport-ws at the same path.
 * graphql-ws connects lazily, on the first subscription, and the dashboard only subscribes when
 * the schema has subscriptions (capabilities.js), so against a server without them no socket is
 * ever opened.
 */
export function createApolloClient(token, { onUnauthenticated }) {
  const authorization = `Bearer ${token}`;
  const http = new HttpLink({ uri: "/graphql" });
  const sockets = createWsClient({
    url: websocketUrl(),
    lazy: true,
    connectionParams: { Authorization: authorization },
    retryAttempts: 5,
  });
  const websocket = new GraphQLWsLink(sockets);
  const auth = new SetContextLink((previous) => ({
    headers: { ...previous.headers, Authorization: authorization },
  }));
  const signOutOnRefusal = new ErrorLink(({ error }) => {
    if (isUnauthenticated(error)) onUnauthenticated();
  });
  const transport = ApolloLink.split(
    ({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION,
    websocket,
    http,
  );
  const client = new ApolloClient({
    link: ApolloLink.from([signOutOnRefusal, auth, transport]),
    cache: createCache(),
    defaultOptions: {
      watchQuery: {
        notifyOnNetworkStatusChange: true,
        // A tab in the background does not poll; it catches up on the next poll once shown.
        skipPollAttempt: () => document.hidden,
      },
    },
  });
  const dispose = () => {
    client.stop();
    sockets.dispose();
  };
  return { client, dispose };
}

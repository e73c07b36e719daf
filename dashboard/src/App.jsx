import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApolloProvider, useQuery } from "@apollo/client/react";
import { createApolloClient, isUnauthenticated } from "./apollo.js";
import { CAPABILITIES } from "./queries.js";
import { CapabilitiesContext, capabilitiesFrom, liveWanted, pollInterval } from "./capabilities.js";
import { BatchList } from "./BatchList.jsx";
import { BatchPage } from "./BatchPage.jsx";
import { TokenForm } from "./TokenForm.jsx";
import { errorMessage } from "./format.js";
import { useHashRoute } from "./route.js";

const TOKEN_KEY = "callbatch.dashboard.token";

function storedToken() {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function App() {
  const [token, setToken] = useState(storedToken);
  const [problem, setProblem] = useState(null);
  const signIn = useCallback((value) => {
    window.sessionStorage.setItem(TOKEN_KEY, value);
    setProblem(null);
    setToken(value);
  }, []);
  const signOut = useCallback((reason = null) => {
    window.sessionStorage.removeItem(TOKEN_KEY);
    setProblem(reason);
    setToken(null);
  }, []);
  const connection = useMemo(
    () =>
      token &&
      createApolloClient(token, {
        onUnauthenticated: () => signOut("The server refused this token (expired or unknown)."),
      }),
    [token, signOut],
  );
  const previous = useRef(null);
  useEffect(() => {
    // Close the old client (and its socket) once another token, or none, replaced it.
    const old = previous.current;
    previous.current = connection;
    if (old && old !== connection) old.dispose();
  }, [connection]);
  const client = connection?.client;
  if (!client) return <TokenForm onToken={signIn} problem={problem} />;
  return (
    <ApolloProvider client={client}>
      <Dashboard onSignOut={() => signOut()} />
    </ApolloProvider>
  );
}

function Dashboard({ onSignOut }) {
  const { data, error, refetch } = useQuery(CAPABILITIES);
  const capabilities = useMemo(
    () => capabilitiesFrom(data?.__schema, { live: liveWanted(), viewer: data?.viewer }),
    [data],
  );
  const route = useHashRoute();
  let body;
  if (error && !isUnauthenticated(error)) {
    body = (
      <p className="error" role="alert">
        Cannot reach the API: {errorMessage(error)}{" "}
        <button type="button" onClick={() => refetch()}>
          Retry
        </button>
      </p>
    );
  } else if (!data) {
    body = <p className="muted">Connecting…</p>;
  } else if (route.segments[0] === "batches" && route.segments[1]) {
    body = <BatchPage key={route.segments[1]} id={route.segments[1]} />;
  } else {
    body = <BatchList params={route.params} />;
  }
  const live = capabilities.liveBatch;
  return (
    <CapabilitiesContext.Provider value={capabilities}>
      <header className="top">
        <h1>
          <a href="#/">Call batches</a>
        </h1>
        <span className={`freshness ${live ? "live" : ""}`} data-testid="freshness">
          {live ? "Live" : `Refreshing every ${pollInterval() / 1000} s`}
        </span>
        <button type="button" className="sign-out" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main>{body}</main>
    </CapabilitiesContext.Provider>
  );
}

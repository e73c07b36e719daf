// GraphiQL for this API, started from a static file so that the page's Content-Security-Policy
// can forbid inline scripts. The server puts the demo user's header (embedded mode, loopback
// only) in the container's data-headers attribute; otherwise the header editor starts empty.
"use strict";

(function () {
  const EXAMPLE_QUERY = `# GraphiQL for the call batches API.
# Put your token in the Headers tab below: {"Authorization": "Bearer <token>"}
# Run with Ctrl-Enter (or the play button); Ctrl-Space completes.

{
  batches(limit: 5) {
    totalCount
    nodes {
      name
      status
      progressPercentage
      remainingCount
    }
  }
}
`;

  const container = document.getElementById("graphiql");
  const demoHeaders = container.dataset.headers || undefined;

  const parameters = {};
  for (const entry of window.location.search.slice(1).split("&")) {
    const eq = entry.indexOf("=");
    if (eq >= 0) {
      parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(
        entry.slice(eq + 1),
      );
    }
  }

  function updateURL(data) {
    Object.assign(parameters, data);
    const search = Object.keys(parameters)
      .filter((key) => Boolean(parameters[key]))
      .map((key) => encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]))
      .join("&");
    history.replaceState(null, "", search ? "?" + search : window.location.pathname);
  }

  const fetcher = GraphiQL.createFetcher({ url: window.location.href.split("?")[0] });

  function GraphiQLWithExplorer() {
    const [query, setQuery] = React.useState(parameters.q || EXAMPLE_QUERY);
    const [variables, setVariables] = React.useState(parameters.variables);
    const explorerPlugin = React.useMemo(() => GraphiQLPluginExplorer.explorerPlugin(), []);

    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      plugins: [explorerPlugin],
      query: query,
      variables: variables,
      headers: demoHeaders,
      onEditQuery: (value) => {
        setQuery(value);
        updateURL({ q: value });
      },
      onEditVariables: (value) => {
        setVariables(value);
        updateURL({ variables: value });
      },
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: !demoHeaders,
    });
  }

  ReactDOM.createRoot(container).render(React.createElement(GraphiQLWithExplorer));
})();

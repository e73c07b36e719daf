import { useEffect, useState } from "react";
import { useQuery, useSubscription } from "@apollo/client/react";
import { BATCHES, BATCH_UPDATES_SUBSCRIPTION } from "./queries.js";
import { pollInterval, useCapabilities } from "./capabilities.js";
import { ProgressBar, StatusBadge } from "./ProgressBar.jsx";
import { errorMessage, formatCount, formatTime, words } from "./format.js";
import { hrefFor, navigate } from "./route.js";
import { useDebounced } from "./useDebounced.js";

export const BATCH_STATUSES = [
  "PENDING",
  "SCHEDULED",
  "PROCESSING",
  "PAUSED",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
];
const PAGE_SIZES = [10, 25, 50];
const LIST_REFRESH_WHEN_LIVE = 30000;

function listState(params) {
  const page = Math.max(1, Number.parseInt(params.get("page") ?? "1", 10) || 1);
  const limit = Number.parseInt(params.get("limit") ?? "", 10);
  return {
    search: params.get("search") ?? "",
    status: BATCH_STATUSES.includes(params.get("status")) ? params.get("status") : "",
    page,
    limit: PAGE_SIZES.includes(limit) ? limit : PAGE_SIZES[0],
  };
}

function showList(state, changes, options) {
  const next = { ...state, ...changes };
  navigate(
    hrefFor([], {
      search: next.search,
      status: next.status,
      page: next.page > 1 ? next.page : undefined,
      limit: next.limit !== PAGE_SIZES[0] ? next.limit : undefined,
    }),
    options,
  );
}

/**
 * The agency's batches, one numbered page at a time. The list is fetched from the network on every
 * page change and poll (`batches` is one cache entry per search and status under
 * relayStylePagination, so the cache cannot tell pages apart); batches opened elsewhere update it
 * through the normalised `Batch:<id>` entries.
 */
export function BatchList({ params }) {
  const state = listState(params);
  const capabilities = useCapabilities();
  const [searchText, setSearchText] = useState(state.search);
  const search = useDebounced(searchText.trim(), 300);
  useEffect(() => {
    if (search !== state.search) showList(state, { search, page: 1 }, { replace: true });
  }, [search]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    // The URL changed under the box (back button, a bookmark): show its search.
    setSearchText((typed) => (typed.trim() === state.search ? typed : state.search));
  }, [state.search]);

  const { data, previousData, loading, error, refetch } = useQuery(BATCHES, {
    variables: {
      search: state.search || null,
      status: state.status || null,
      page: state.page,
      limit: state.limit,
    },
    fetchPolicy: "network-only",
    pollInterval: capabilities.liveBatchList ? LIST_REFRESH_WHEN_LIVE : pollInterval(),
  });
  useSubscription(BATCH_UPDATES_SUBSCRIPTION, {
    variables: { status: state.status || null },
    skip: !capabilities.liveBatchList,
  });

  const batches = (data ?? previousData)?.batches;
  const pagination = batches?.pagination;
  const pageCount = Math.max(1, pagination?.totalPages ?? 1);
  return (
    <section aria-labelledby="batches-title">
      <div className="toolbar">
        <h2 id="batches-title">Batches</h2>
        <input
          type="search"
          aria-label="Search batches"
          placeholder="Search by name or status"
          value={searchText}
          onChange={(event) => setSearchText(event.target.value)}
        />
        <select
          aria-label="Status"
          value={state.status}
          onChange={(event) => showList(state, { status: event.target.value, page: 1 })}
        >
          <option value="">All statuses</option>
          {BATCH_STATUSES.map((status) => (
            <option key={status} value={status}>
              {words(status)}
            </option>
          ))}
        </select>
        <select
          aria-label="Batches per page"
          value={state.limit}
          onChange={(event) => showList(state, { limit: Number(event.target.value), page: 1 })}
        >
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size} per page
            </option>
          ))}
        </select>
      </div>
      {error && (
        <p className="error" role="alert">
          Could not load batches: {errorMessage(error)}{" "}
          <button type="button" onClick={() => refetch()}>
            Retry
          </button>
        </p>
      )}
      <table className={`batches ${loading && !data ? "stale" : ""}`} aria-busy={loading}>
        <thead>
          <tr>
            <th scope="col">Batch</th>
            <th scope="col">Status</th>
            <th scope="col" className="progress-column">Progress</th>
            <th scope="col" className="number">Completed</th>
            <th scope="col" className="number">Failed</th>
            <th scope="col" className="number">Contacts</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {batches?.edges.map(({ node: batch }) => (
            <tr key={batch.id} data-batch-id={batch.id}>
              <td>
                <a className="batch-link" href={hrefFor(["batches", batch.id])}>
                  {batch.name}
                </a>
                <div className="muted">
                  {[batch.campaignName, batch.agentName].filter(Boolean).join(" · ") || "—"}
                </div>
              </td>
              <td>
                <StatusBadge status={batch.status} />
              </td>
              <td>
                <ProgressBar batch={batch} />
              </td>
              <td className="number">{formatCount(batch.completed)}</td>
              <td className="number">{formatCount(batch.failed)}</td>
              <td className="number">{formatCount(batch.totalContacts)}</td>
              <td>{formatTime(batch.createdAt)}</td>
            </tr>
          ))}
          {batches && batches.edges.length === 0 && (
            <tr>
              <td colSpan={7} className="empty">
                No batches match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <nav className="pager" aria-label="Batch pages">
        <button
          type="button"
          disabled={state.page <= 1}
          onClick={() => showList(state, { page: state.page - 1 })}
        >
          ← Previous
        </button>
        <span className="page-status">
          Page {state.page} of {pageCount} · {formatCount(pagination?.total)} batches
        </span>
        <button
          type="button"
          disabled={!pagination?.hasMore}
          onClick={() => showList(state, { page: state.page + 1 })}
        >
          Next →
        </button>
      </nav>
    </section>
  );
}

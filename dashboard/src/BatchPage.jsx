import { useQuery, useSubscription } from "@apollo/client/react";
import { BATCH, BATCH_PROGRESS_SUBSCRIPTION } from "./queries.js";
import { pollInterval, useCapabilities } from "./capabilities.js";
import { ProgressBar, StatusBadge } from "./ProgressBar.jsx";
import { BatchControls } from "./BatchControls.jsx";
import { BatchEvents } from "./BatchEvents.jsx";
import { ContactsPanel } from "./ContactsPanel.jsx";
import { errorCodes, errorMessage, formatCount, formatTime } from "./format.js";

const COUNTS = [
  ["pending", "Pending"],
  ["queued", "Queued"],
  ["inProgress", "In progress"],
  ["completed", "Completed"],
  ["failed", "Failed"],
  ["skipped", "Skipped"],
  ["callsPicked", "Answered"],
];

/**
 * One batch: its progress (pushed by `batchProgress` when the server has subscriptions, polled
 * otherwise), its controls, and its contacts.
 */
export function BatchPage({ id }) {
  const capabilities = useCapabilities();
  const { data, previousData, error } = useQuery(BATCH, {
    variables: { id },
    pollInterval: capabilities.liveBatch ? 0 : pollInterval(),
  });
  useSubscription(BATCH_PROGRESS_SUBSCRIPTION, { variables: { id }, skip: !capabilities.liveBatch });

  const batch = (data ?? previousData)?.batch;
  const hasActions = Object.values(capabilities.actions).some(Boolean);
  if (error && errorCodes(error).includes("NOT_FOUND")) {
    return (
      <section>
        <a href="#/">← All batches</a>
        <p className="error" role="alert">
          This batch does not exist, was deleted, or belongs to another agency.
        </p>
      </section>
    );
  }
  if (!batch) {
    return (
      <section>
        <a href="#/">← All batches</a>
        {error ? (
          <p className="error" role="alert">
            Could not load the batch: {errorMessage(error)}
          </p>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </section>
    );
  }
  return (
    <section aria-labelledby="batch-title" className="batch-page">
      <a href="#/">← All batches</a>
      <header className="batch-header">
        <h2 id="batch-title">{batch.name}</h2>
        <StatusBadge status={batch.status} />
        <BatchControls batch={batch} />
      </header>
      {error && (
        <p className="error" role="alert">
          Refresh failed, showing the last answer: {errorMessage(error)}
        </p>
      )}
      <ProgressBar batch={batch} large />
      <dl className="counts">
        {COUNTS.map(([field, label]) => (
          <div key={field} className={`count count-${field}`}>
            <dt>{label}</dt>
            <dd>{formatCount(batch[field])}</dd>
          </div>
        ))}
      </dl>
      <dl className="facts">
        <dt>Campaign</dt>
        <dd>{batch.campaignName ?? "—"}</dd>
        <dt>Agent</dt>
        <dd>{batch.agentName ?? "—"}</dd>
        <dt>From number</dt>
        <dd>{batch.fromNumber ?? "—"}</dd>
        <dt>Pace</dt>
        <dd>
          {batch.callsPerMinute ?? "—"} calls/min, up to {batch.maxConcurrent ?? "—"} at once
        </dd>
        <dt>Scheduled</dt>
        <dd>{formatTime(batch.scheduledFor)}</dd>
        <dt>Started</dt>
        <dd>{formatTime(batch.startedAt)}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(batch.updatedAt)}</dd>
      </dl>
      {hasActions && <BatchEvents batchId={batch.id} />}
      <ContactsPanel batchId={batch.id} />
    </section>
  );
}

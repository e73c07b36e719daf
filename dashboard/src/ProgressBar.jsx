import { formatCount, formatPercent, words } from "./format.js";

/**
 * A stacked bar of the finished contacts (completed, failed, skipped) of a batch, coloured by the
 * batch's status; the numbers are the server's (`progressPercentage`, `remainingCount`).
 */
export function ProgressBar({ batch, large = false }) {
  const total = batch.totalContacts || 0;
  const share = (count) => (total ? `${(100 * count) / total}%` : "0%");
  return (
    <div className={`progress ${large ? "progress-large" : ""}`} data-batch-id={batch.id}>
      <div
        className={`progress-track status-${batch.status.toLowerCase()}`}
        role="progressbar"
        aria-label={`Progress of ${batch.name ?? "the batch"}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={batch.progressPercentage}
        aria-valuetext={`${formatPercent(batch.progressPercentage)}, ${batch.remainingCount} remaining`}
      >
        <span className="segment segment-completed" style={{ width: share(batch.completed) }} />
        <span className="segment segment-failed" style={{ width: share(batch.failed) }} />
        <span className="segment segment-skipped" style={{ width: share(batch.skipped) }} />
      </div>
      <div className="progress-label">
        <strong className="progress-percent">{formatPercent(batch.progressPercentage)}</strong>
        <span className="progress-remaining">
          {formatCount(batch.remainingCount)} of {formatCount(total)} remaining
        </span>
      </div>
    </div>
  );
}

export function StatusBadge({ status }) {
  return <span className={`badge status-${status.toLowerCase()}`}>{words(status)}</span>;
}

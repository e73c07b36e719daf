import { useMutation } from "@apollo/client/react";
import { BATCH_ACTIONS } from "./queries.js";
import { useCapabilities } from "./capabilities.js";
import { errorCodes, errorMessage } from "./format.js";

/** The transitions of the contract (section 6): which statuses each action starts from. */
const ALLOWED_FROM = {
  pause: ["PENDING", "SCHEDULED", "PROCESSING"],
  resume: ["PAUSED"],
  cancel: ["PENDING", "SCHEDULED", "PROCESSING", "PAUSED"],
};
const LABELS = { pause: "Pause", resume: "Resume", cancel: "Cancel batch" };

function ActionButton({ action, batch }) {
  const [run, { loading, error }] = useMutation(BATCH_ACTIONS[action], {
    variables: { id: batch.id },
    refetchQueries: ["DashboardBatchEvents"],
  });
  const click = () => {
    if (action === "cancel" && !window.confirm(`Cancel “${batch.name}”? This cannot be undone.`)) {
      return;
    }
    run().catch(() => {});
  };
  const refused = errorCodes(error).includes("FORBIDDEN");
  return (
    <>
      <button
        type="button"
        className={`action action-${action}`}
        disabled={loading || !ALLOWED_FROM[action].includes(batch.status)}
        onClick={click}
      >
        {LABELS[action]}
      </button>
      {error && (
        <span className="error" role="alert">
          {refused ? "Only operators may control batches." : errorMessage(error)}
        </span>
      )}
    </>
  );
}

/** Shown only when the server's schema has the mutations and the user is an operator
 * (capabilities.js); a viewer is told why there are none. */
export function BatchControls({ batch }) {
  const { actions, mayControl } = useCapabilities();
  const available = Object.keys(ALLOWED_FROM).filter((action) => actions[action]);
  if (!available.length) return null;
  if (!mayControl) {
    return (
      <p className="muted read-only" data-testid="read-only">
        Only operators may pause, resume or cancel batches; you can watch them.
      </p>
    );
  }
  return (
    <div className="controls" role="group" aria-label="Batch controls">
      {available.map((action) => (
        <ActionButton key={action} action={action} batch={batch} />
      ))}
    </div>
  );
}

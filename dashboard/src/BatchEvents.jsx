import { useQuery } from "@apollo/client/react";
import { BATCH_EVENTS } from "./queries.js";
import { errorMessage, formatTime, words } from "./format.js";

function transition(event) {
  if (!event.toStatus) return "deleted";
  return `${event.fromStatus ? words(event.fromStatus) : "—"} → ${words(event.toStatus)}`;
}

/** The latest pause/resume/cancel actions on the batch, newest first; the controls refetch it. */
export function BatchEvents({ batchId }) {
  const { data, error } = useQuery(BATCH_EVENTS, { variables: { id: batchId } });
  const events = data?.batch?.events;
  return (
    <section className="events" aria-labelledby="events-title">
      <h3 id="events-title">Recent actions</h3>
      {error && <p className="error">Could not load the actions: {errorMessage(error)}</p>}
      {events && !events.nodes.length && (
        <p className="muted">No one has paused, resumed or cancelled this batch here.</p>
      )}
      {events && events.nodes.length > 0 && (
        <ol className="event-list">
          {events.nodes.map((event) => (
            <li key={event.id} data-action={event.action}>
              <strong>{event.action}</strong> {transition(event)}{" "}
              <span className="muted">{formatTime(event.createdAt)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

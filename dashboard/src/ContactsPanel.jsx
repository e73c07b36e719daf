import { Fragment, useState } from "react";
import { useQuery } from "@apollo/client/react";
import { NetworkStatus } from "@apollo/client";
import { CONTACTS } from "./queries.js";
import { CallLogs } from "./CallLogs.jsx";
import { useDebounced } from "./useDebounced.js";
import { errorMessage, formatCount, formatDuration, formatTime, words } from "./format.js";

const CONTACT_STATUSES = ["PENDING", "QUEUED", "IN_PROGRESS", "COMPLETED", "FAILED", "SKIPPED"];
const PRIORITIES = ["low", "normal", "high"];
const CALL_STATUSES = ["completed", "voicemail", "no-answer", "busy", "failed", "in-progress"];
const SORT_FIELDS = [
  ["CREATED_AT", "Added"],
  ["NAME", "Name"],
  ["PHONE_NUMBER", "Phone number"],
  ["STATUS", "Status"],
  ["PRIORITY", "Priority"],
  ["ATTEMPTS", "Attempts"],
  ["LAST_ATTEMPT_AT", "Last attempt"],
  ["COMPLETED_AT", "Completed"],
  ["DURATION_SECONDS", "Duration"],
];
const PAGE_SIZE = 25;

function contactFilter({ status, priority, callStatus }) {
  const filter = {};
  if (status) filter.status = status;
  if (priority) filter.priority = priority;
  if (callStatus) filter.callStatus = callStatus;
  return Object.keys(filter).length ? filter : null;
}

function Select({ label, value, onChange, options, all }) {
  return (
    <select aria-label={label} value={value} onChange={(event) => onChange(event.target.value)}>
      {all && <option value="">{all}</option>}
      {options.map(([optionValue, text]) => (
        <option key={optionValue} value={optionValue}>
          {text}
        </option>
      ))}
    </select>
  );
}

/**
 * A batch's contacts as an infinite list: the first page, then `fetchMore` with the end cursor;
 * relayStylePagination appends the edges in the cache. Every filter, search and sort is its own
 * cached list (they are the field's keyArgs), so switching back is instant.
 */
export function ContactsPanel({ batchId }) {
  const [status, setStatus] = useState("");
  const [priority, setPriority] = useState("");
  const [callStatus, setCallStatus] = useState("");
  const [searchText, setSearchText] = useState("");
  const [sortField, setSortField] = useState("CREATED_AT");
  const [direction, setDirection] = useState("ASC");
  const [opened, setOpened] = useState(() => new Set());
  const search = useDebounced(searchText.trim(), 300);

  const { data, previousData, error, networkStatus, fetchMore, refetch } = useQuery(CONTACTS, {
    variables: {
      id: batchId,
      first: PAGE_SIZE,
      filter: contactFilter({ status, priority, callStatus }),
      search: search || null,
      sort: [{ field: sortField, direction }],
    },
  });
  const contacts = (data ?? previousData)?.batch?.contacts;
  const loadingMore = networkStatus === NetworkStatus.fetchMore;
  const toggle = (id) =>
    setOpened((previous) => {
      const next = new Set(previous);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <section aria-labelledby="contacts-title" className="contacts">
      <div className="toolbar">
        <h3 id="contacts-title">Contacts</h3>
        <input
          type="search"
          aria-label="Search contacts"
          placeholder="Name, phone, email, company"
          value={searchText}
          onChange={(event) => setSearchText(event.target.value)}
        />
        <Select
          label="Contact status"
          value={status}
          onChange={setStatus}
          all="Any status"
          options={CONTACT_STATUSES.map((value) => [value, words(value)])}
        />
        <Select
          label="Priority"
          value={priority}
          onChange={setPriority}
          all="Any priority"
          options={PRIORITIES.map((value) => [value, value])}
        />
        <Select
          label="Call result"
          value={callStatus}
          onChange={setCallStatus}
          all="Any call result"
          options={CALL_STATUSES.map((value) => [value, `a call ${value}`])}
        />
        <Select label="Sort by" value={sortField} onChange={setSortField} options={SORT_FIELDS} />
        <Select
          label="Sort direction"
          value={direction}
          onChange={setDirection}
          options={[
            ["ASC", "ascending"],
            ["DESC", "descending"],
          ]}
        />
        <button type="button" onClick={() => refetch()}>
          Refresh
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          Could not load contacts: {errorMessage(error)}
        </p>
      )}
      <table className="contacts-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Phone</th>
            <th scope="col">Status</th>
            <th scope="col">Priority</th>
            <th scope="col" className="number">Attempts</th>
            <th scope="col">Outcome</th>
            <th scope="col" className="number">Duration</th>
            <th scope="col">Last attempt</th>
            <th scope="col">Calls</th>
          </tr>
        </thead>
        <tbody>
          {contacts?.edges.map(({ node: contact }) => (
            <Fragment key={contact.id}>
              <tr data-contact-id={contact.id}>
                <td>
                  {contact.name ?? "—"}
                  {contact.company && <div className="muted">{contact.company}</div>}
                </td>
                <td className="phone">{contact.phoneNumber}</td>
                <td>
                  <span className={`badge contact-${contact.status.toLowerCase()}`}>
                    {words(contact.status)}
                  </span>
                  {contact.doNotCall && <span className="badge dnc">do not call</span>}
                </td>
                <td>{contact.priority ?? "—"}</td>
                <td className="number">
                  {contact.attempts}/{contact.maxAttempts}
                </td>
                <td>{contact.outcome ?? "—"}</td>
                <td className="number">{formatDuration(contact.durationSeconds)}</td>
                <td>{formatTime(contact.lastAttemptAt)}</td>
                <td>
                  <button
                    type="button"
                    className="calls-toggle"
                    aria-expanded={opened.has(contact.id)}
                    disabled={!contact.callLogs.length}
                    onClick={() => toggle(contact.id)}
                  >
                    {contact.callLogs.length} {contact.callLogs.length === 1 ? "call" : "calls"}
                  </button>
                </td>
              </tr>
              {opened.has(contact.id) && (
                <tr className="call-logs-row">
                  <td colSpan={9}>
                    <CallLogs logs={contact.callLogs} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
          {contacts && contacts.edges.length === 0 && (
            <tr>
              <td colSpan={9} className="empty">
                No contacts match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <nav className="pager" aria-label="Contact pages">
        <span className="page-status">
          Showing {formatCount(contacts?.edges.length ?? 0)} of {formatCount(contacts?.totalCount)}{" "}
          contacts
        </span>
        <button
          type="button"
          disabled={!contacts?.pageInfo.hasNextPage || loadingMore}
          onClick={() => fetchMore({ variables: { after: contacts.pageInfo.endCursor } })}
        >
          {loadingMore ? "Loading…" : `Load ${PAGE_SIZE} more`}
        </button>
      </nav>
    </section>
  );
}

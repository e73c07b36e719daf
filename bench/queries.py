"""Q1 to Q4 twice: as GraphQL through the API, and as one hand-written SQL statement (the floor)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import orjson

BATCH_FIELDS = (
    "id name status totalContacts pending queued inProgress completed failed skipped "
    "callsPicked progressPercentage remainingCount createdAt"
)
CONTACT_FIELDS = (
    "id name phoneNumber email status priority attempts outcome lastAttemptAt createdAt"
)
LOG_FIELDS = "id callStatus durationSeconds recordingUrl createdAt"

Q1 = f"{{ batches(page: 1, limit: 25) {{ totalCount nodes {{ {BATCH_FIELDS} }} }} }}"

CONTACTS_PAGE = (
    f"totalCount pageInfo {{ hasNextPage endCursor }} "
    f"nodes {{ {CONTACT_FIELDS} callLogs {{ {LOG_FIELDS} }} }}"
)
Q2 = f"""query($id: ID!) {{ batch(id: $id) {{ {BATCH_FIELDS}
  contacts(first: 50) {{ {CONTACTS_PAGE} }} }} }}"""
Q3 = f"""query($id: ID!, $search: String!) {{ batch(id: $id) {{ id
  contacts(first: 50, filter: {{ status: COMPLETED }}, search: $search) {{ {CONTACTS_PAGE} }} }} }}"""
Q4 = f"""query($id: ID!, $after: String) {{ batch(id: $id) {{ {BATCH_FIELDS}
  contacts(first: 50, after: $after) {{ {CONTACTS_PAGE} }} }} }}"""
WALK = """query($id: ID!, $after: String) { batch(id: $id) {
  contacts(first: 200, after: $after) { pageInfo { hasNextPage endCursor } } } }"""

SUMMARY_COLUMNS = (
    "id, name, status, total_contacts, pending, queued, in_progress, completed, failed, skipped, "
    "calls_picked, progress_percentage, remaining_count, created_at"
)

FLOOR_Q1 = f"""
SELECT {SUMMARY_COLUMNS},
       (SELECT count(*) FROM call_batches WHERE agency_id = $1 AND deleted_at IS NULL) AS total
FROM v_call_batch_summary WHERE agency_id = $1
ORDER BY created_at DESC, id DESC LIMIT 25
"""

_PAGE_COLUMNS = (
    "c.id, c.first_name, c.last_name, c.phone_number, c.email, c.status, c.priority, "
    "c.attempts, c.outcome, c.last_attempt_at, c.created_at"
)
_LOGS = (
    "LEFT JOIN call_logs l ON l.contact_id = c.id ORDER BY c.created_at, c.id, l.created_at, l.id"
)
_LOG_COLUMNS = (
    "l.id AS log_id, l.call_status, l.duration_seconds, l.recording_url, l.created_at AS log_at"
)

_BATCH_SUMMARY = f"""SELECT {
    SUMMARY_COLUMNS.replace("id, ", "id AS batch_id, ", 1)
    .replace("name, ", "name AS batch_name, ", 1)
    .replace("status, ", "status AS batch_status, ", 1)
    .replace("created_at", "created_at AS batch_created_at")
} FROM v_call_batch_summary WHERE id = $1"""
"""The batch's summary row, its columns renamed apart from the contact columns beside it."""

FLOOR_Q2 = f"""
WITH page AS (
    SELECT {_PAGE_COLUMNS} FROM campaign_contacts c
    WHERE c.batch_id = $1 ORDER BY c.created_at, c.id LIMIT 51
)
SELECT c.*, {_LOG_COLUMNS}, s.*,
       (SELECT total_contacts FROM call_batch_counters WHERE batch_id = $1) AS total
FROM page c CROSS JOIN ({_BATCH_SUMMARY}) s
{_LOGS}
"""

FLOOR_Q3 = f"""
WITH matching AS (
    SELECT c.* FROM campaign_contacts c
    WHERE c.batch_id = $1 AND c.status = 'completed'
      AND c.search_text LIKE $2
), page AS (
    SELECT {_PAGE_COLUMNS} FROM matching c ORDER BY c.created_at, c.id LIMIT 51
)
SELECT c.*, {_LOG_COLUMNS}, (SELECT count(*) FROM matching) AS total
FROM page c {_LOGS}
"""

FLOOR_Q4 = f"""
WITH page AS (
    SELECT {_PAGE_COLUMNS} FROM campaign_contacts c
    WHERE c.batch_id = $1 AND (c.created_at, c.id) > ($2, $3)
    ORDER BY c.created_at, c.id LIMIT 51
)
SELECT c.*, {_LOG_COLUMNS}, s.*,
       (SELECT total_contacts FROM call_batch_counters WHERE batch_id = $1) AS total
FROM page c CROSS JOIN ({_BATCH_SUMMARY}) s
{_LOGS}
"""


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def encode_batches(rows: list[Any]) -> bytes:
    total = rows[0]["total"] if rows else 0
    nodes = [{k: v for k, v in row.items() if k != "total"} for row in rows]
    return orjson.dumps({"data": {"batches": {"totalCount": total, "nodes": nodes}}}, default=str)


def encode_contacts(rows: list[Any], with_batch: bool) -> bytes:
    """Rows of page joined with call logs → the same JSON shape the API answers."""
    contacts: dict[uuid.UUID, dict[str, Any]] = {}
    logs: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        contact = contacts.get(row["id"])
        if contact is None:
            first, last = row["first_name"], row["last_name"]
            contact = contacts[row["id"]] = {
                "id": row["id"],
                "name": " ".join(p for p in (first, last) if p is not None) or None,
                "phoneNumber": row["phone_number"],
                "email": row["email"],
                "status": row["status"].upper(),
                "priority": row["priority"],
                "attempts": row["attempts"],
                "outcome": row["outcome"],
                "lastAttemptAt": _iso(row["last_attempt_at"]),
                "createdAt": _iso(row["created_at"]),
                "callLogs": logs[row["id"]],
            }
        if row["log_id"] is not None:
            logs[row["id"]].append(
                {
                    "id": row["log_id"],
                    "callStatus": row["call_status"],
                    "durationSeconds": row["duration_seconds"],
                    "recordingUrl": row["recording_url"],
                    "createdAt": _iso(row["log_at"]),
                }
            )
    nodes = list(contacts.values())
    page: dict[str, Any] = {
        "totalCount": rows[0]["total"] if rows else 0,
        "pageInfo": {"hasNextPage": len(nodes) > 50, "endCursor": None},
        "nodes": nodes[:50],
    }
    batch: dict[str, Any] = {"contacts": page}
    if with_batch and rows:
        row = rows[0]
        batch.update(
            id=row["batch_id"],
            name=row["batch_name"],
            status=row["batch_status"],
            totalContacts=row["total_contacts"],
            completed=row["completed"],
            progressPercentage=row["progress_percentage"],
            remainingCount=row["remaining_count"],
        )
    return orjson.dumps({"data": {"batch": batch}}, default=str)


FLOOR_QUERIES: dict[str, tuple[str, Callable[[list[Any]], bytes]]] = {
    "Q1": (FLOOR_Q1, encode_batches),
    "Q2": (FLOOR_Q2, lambda rows: encode_contacts(rows, True)),
    "Q3": (FLOOR_Q3, lambda rows: encode_contacts(rows, False)),
    "Q4": (FLOOR_Q4, lambda rows: encode_contacts(rows, True)),
}
"""Each question's floor statement and the encoding of its rows into the API's JSON shape."""

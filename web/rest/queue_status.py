"""The Weya REST API's `queue_status` words and the contract's batch statuses.

Weya's dashboards call a running batch "active"; the contract (and the database) call it
`processing`. Every other status is the same word in both vocabularies.

| contract status | Weya `queue_status` |
|---|---|
| pending | pending |
| scheduled | scheduled |
| processing | active |
| paused | paused |
| completed | completed |
| failed | failed |
| cancelled | cancelled |
"""

from __future__ import annotations

from db.models import BATCH_STATUSES

_RENAMED = {"processing": "active"}

QUEUE_STATUS_BY_STATUS: dict[str, str] = {s: _RENAMED.get(s, s) for s in BATCH_STATUSES}
STATUS_BY_QUEUE_STATUS: dict[str, str] = {q: s for s, q in QUEUE_STATUS_BY_STATUS.items()}


def queue_status(status: str) -> str:
    """The Weya word for a contract batch status (an unknown status is passed through)."""
    return QUEUE_STATUS_BY_STATUS.get(status, status)


def batch_status(word: str) -> str | None:
    """The contract status a Weya `queue_status` word names (case-insensitive), or None."""
    return STATUS_BY_QUEUE_STATUS.get(word.strip().lower())


def statuses_matching(term: str) -> tuple[str, ...]:
    """The contract statuses whose Weya word contains `term`, case-insensitively.

    Weya's search matches a substring of the name or of the `queue_status` word, so `act` finds
    running batches (shown as "active") while `processing` does not.
    """
    needle = term.lower()
    return tuple(s for s, word in QUEUE_STATUS_BY_STATUS.items() if needle in word)


QUEUE_STATUSES = list(QUEUE_STATUS_BY_STATUS.values())
"""Every `queue_status` value, for the OpenAPI document."""

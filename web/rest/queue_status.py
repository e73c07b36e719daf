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


def search_in_contract_words(term: str) -> str:
    """A Weya search term as the batch search understands it.

    The batch search matches a substring of the name or of the contract status; a term that is a
    Weya-only status word ("active") is looked up by its contract word ("processing"), so that
    `search=active` finds running batches as it did on Weya.
    """
    status = batch_status(term)
    if status is not None and status != term.strip().lower():
        return status
    return term

"""The `filter`, `sortBy` and `sortOrder` parameters of Weya's batch details, turned into the
`db` layer's contact filter and sort."""

from __future__ import annotations

import json
from typing import Any

from core.arguments import ContactFilterText, filter_text
from core.errors import BadUserInput, describe
from db import contacts as contact_queries
from db.models import CONTACT_STATUSES

FILTER_MAX_LENGTH = 2000

SortField = contact_queries.ContactSortField

SORT_FIELDS: dict[str, contact_queries.ContactSortField] = {
    "createdAt": SortField.CREATED_AT,
    "name": SortField.NAME,
    "phoneNumber": SortField.PHONE_NUMBER,
    "status": SortField.STATUS,
    "priority": SortField.PRIORITY,
    "attempts": SortField.ATTEMPTS,
    "lastAttemptAt": SortField.LAST_ATTEMPT_AT,
    "completedAt": SortField.COMPLETED_AT,
    "durationSeconds": SortField.DURATION_SECONDS,
    "callDuration": SortField.DURATION_SECONDS,
}
"""`sortBy` names: Weya's camelCase ones (the snake_case column names are accepted too)."""

FILTER_KEYS = ("callStatus", "status", "statusIn", "priority", "outcome", "doNotCall")
"""Keys of the `filter` JSON object, each one field of `db.contacts.ContactFilter`."""


def sort_field(name: str | None) -> contact_queries.ContactSortField:
    if name is None:
        return SortField.CREATED_AT
    field = SORT_FIELDS.get(name)
    if field is None:
        field = next((f for f in SortField if f.value == name), None)
    if field is None:
        raise BadUserInput(f"sortBy must be one of {', '.join(SORT_FIELDS)}; got {describe(name)}")
    return field


def descending(order: str | None) -> bool:
    if order is None or order.lower() == "asc":
        return False
    if order.lower() == "desc":
        return True
    raise BadUserInput(f"sortOrder must be asc or desc, got {describe(order)}")


def parse_filter(raw: str | None, search: str | None) -> contact_queries.ContactFilter:
    """The `filter` parameter: a JSON object over `FILTER_KEYS`, e.g. {"callStatus":"completed"}."""
    if raw is None or not raw.strip():
        return contact_queries.ContactFilter(search=search)
    example = 'e.g. {"callStatus":"completed"}'
    if len(raw) > FILTER_MAX_LENGTH:
        raise BadUserInput(f"filter must be at most {FILTER_MAX_LENGTH} characters")
    try:
        value = json.loads(raw)
    except ValueError:
        raise BadUserInput(f"filter is not valid JSON; send a JSON object, {example}") from None
    if not isinstance(value, dict):
        raise BadUserInput(f"filter must be a JSON object, {example}")
    unknown = [key for key in value if key not in FILTER_KEYS]
    if unknown:
        raise BadUserInput(
            f"filter has unknown field(s) {', '.join(describe(k) for k in unknown)}; "
            f"allowed: {', '.join(FILTER_KEYS)}"
        )
    status = filter_text("filter.status", _string(value, "status"))
    status_in = _string_list(value, "statusIn")
    for named in [status, *(status_in or ())]:
        if named is not None and named not in CONTACT_STATUSES:
            raise BadUserInput(
                f"filter status must be one of {', '.join(CONTACT_STATUSES)}; got {describe(named)}"
            )
    do_not_call = value.get("doNotCall")
    if do_not_call is not None and not isinstance(do_not_call, bool):
        raise BadUserInput("filter.doNotCall must be true or false")
    text = ContactFilterText(
        outcome=_string(value, "outcome"),
        priority=_string(value, "priority"),
        call_status=_string(value, "callStatus"),
    )
    return contact_queries.ContactFilter(
        status=status,
        status_in=status_in,
        outcome=text.outcome,
        priority=text.priority,
        do_not_call=do_not_call,
        call_status=text.call_status,
        search=search,
    )


def _string(value: dict[str, Any], key: str) -> str | None:
    item = value.get(key)
    if item is not None and not isinstance(item, str):
        raise BadUserInput(f"filter.{key} must be a string")
    return item


def _string_list(value: dict[str, Any], key: str) -> tuple[str, ...] | None:
    items = value.get(key)
    if items is None:
        return None
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise BadUserInput(f"filter.{key} must be a list of strings")
    return tuple(items)

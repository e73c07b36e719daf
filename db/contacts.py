"""Contacts of one batch: filtered, searched, sorted and paged in one statement each."""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Uuid,
    any_,
    bindparam,
    case,
    exists,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from db.counters import counted_contacts, counted_query
from db.keyset import OrderKey, order_by_clauses, rows_after
from db.models import CONTACT_STATUSES, PRIORITIES, CallLog, CampaignContact
from db.text_search import SEARCH_OPERATOR, contains_pattern

contact_columns = CampaignContact.__table__.c


class ContactSortField(enum.Enum):
    CREATED_AT = "created_at"
    NAME = "name"
    PHONE_NUMBER = "phone_number"
    STATUS = "status"
    PRIORITY = "priority"
    ATTEMPTS = "attempts"
    LAST_ATTEMPT_AT = "last_attempt_at"
    COMPLETED_AT = "completed_at"
    DURATION_SECONDS = "duration_seconds"


NAME_EXPRESSION: ColumnElement[Any] = func.contact_name(
    contact_columns.first_name, contact_columns.last_name
)
"""A contact's `name`: first and last name joined by a space, NULL when both are missing.

`Contact.name` renders exactly this (see `contact_name`), so sorting by NAME orders contacts
by the very text the client sees. The SQL function `contact_name` (migration 0002) is
`NULLIF(concat_ws(' ', first_name, last_name), '')` declared IMMUTABLE, so it can be indexed."""


def contact_name(first_name: str | None, last_name: str | None) -> str | None:
    """`NAME_EXPRESSION` computed in Python (concat_ws skips NULLs, then '' becomes NULL)."""
    return " ".join(part for part in (first_name, last_name) if part is not None) or None


STATUS_RANK: ColumnElement[int] = case(
    {status: rank for rank, status in enumerate(CONTACT_STATUSES)}, value=contact_columns.status
)
"""Statuses sort in lifecycle order (pending … skipped), not alphabetically."""

PRIORITY_RANK: ColumnElement[int] = case(
    {priority: rank for rank, priority in enumerate(PRIORITIES)}, value=contact_columns.priority
)
"""Priorities sort low < normal < high."""

SEARCH_DOCUMENT: ColumnElement[str | None] = contact_columns.search_text
"""Lower-cased searchable text of a contact: phone, names (and the full name), email, company,
title, account id and the string values of custom_data, separated by U+001F so that no match
spans two fields. A stored generated column (migration 0003) computed by the SQL function
`contact_search_document`."""

_SORT_EXPRESSIONS: dict[ContactSortField, tuple[ColumnElement[Any], bool]] = {
    ContactSortField.CREATED_AT: (contact_columns.created_at, False),
    ContactSortField.NAME: (NAME_EXPRESSION, True),
    ContactSortField.PHONE_NUMBER: (contact_columns.phone_number, False),
    ContactSortField.STATUS: (STATUS_RANK, False),
    ContactSortField.PRIORITY: (PRIORITY_RANK, False),
    ContactSortField.ATTEMPTS: (contact_columns.attempts, False),
    ContactSortField.LAST_ATTEMPT_AT: (contact_columns.last_attempt_at, True),
    ContactSortField.COMPLETED_AT: (contact_columns.completed_at, True),
    ContactSortField.DURATION_SECONDS: (contact_columns.duration_seconds, True),
}


@dataclass(frozen=True)
class ContactSort:
    field: ContactSortField
    descending: bool = False


DEFAULT_SORT = (ContactSort(ContactSortField.CREATED_AT),)


@dataclass(frozen=True)
class ContactFilter:
    status: str | None = None
    status_in: tuple[str, ...] | None = None
    """Any of these statuses; an empty tuple matches no contact (the empty set)."""
    outcome: str | None = None
    priority: str | None = None
    do_not_call: bool | None = None
    call_status: str | None = None
    """Contacts with at least one call log of this `call_status`."""
    search: str | None = None
    """Case-insensitive substring of phone, names, email, company, title, account id, custom_data."""


@dataclass(frozen=True)
class ContactRow:
    contact: CampaignContact
    sort_values: tuple[Any, ...] = field(default=())
    """The row's values for each sort key plus the id tie-break: what a cursor carries."""


def order_keys(sort: Sequence[ContactSort]) -> list[OrderKey]:
    """The sort list as SQL keys, ending with the unique id so that no two rows tie."""
    keys = []
    for item in sort:
        expression, nullable = _SORT_EXPRESSIONS[item.field]
        keys.append(OrderKey(expression, descending=item.descending, nullable=nullable))
    keys.append(OrderKey(contact_columns.id))
    return keys


def matching(
    agency_id: uuid.UUID, batch_id: uuid.UUID, contact_filter: ContactFilter
) -> list[ColumnElement[bool]]:
    conditions = [contact_columns.agency_id == agency_id, contact_columns.batch_id == batch_id]
    if contact_filter.status is not None:
        conditions.append(contact_columns.status == contact_filter.status)
    if contact_filter.status_in is not None:
        conditions.append(contact_columns.status.in_(contact_filter.status_in))
    if contact_filter.outcome is not None:
        conditions.append(contact_columns.outcome == contact_filter.outcome)
    if contact_filter.priority is not None:
        conditions.append(contact_columns.priority == contact_filter.priority)
    if contact_filter.do_not_call is not None:
        conditions.append(contact_columns.do_not_call.is_(contact_filter.do_not_call))
    if contact_filter.call_status is not None:
        logs = CallLog.__table__.c
        conditions.append(
            exists().where(
                logs.contact_id == contact_columns.id,
                logs.agency_id == agency_id,
                logs.call_status == contact_filter.call_status,
            )
        )
    if contact_filter.search:
        pattern = func.lower(literal(contains_pattern(contact_filter.search)))
        conditions.append(SEARCH_DOCUMENT.bool_op(SEARCH_OPERATOR)(pattern))
    return conditions


_DEFAULT_KEYS = order_keys(DEFAULT_SORT)
_LIST_PAGE: Select[Any] = (
    select(CampaignContact, *(key.expression for key in _DEFAULT_KEYS))
    .where(
        contact_columns.agency_id == bindparam("agency_id"),
        contact_columns.batch_id == bindparam("batch_id"),
    )
    .order_by(*order_by_clauses(_DEFAULT_KEYS))
    .limit(bindparam("limit"))
)
_LIST_PAGE_AFTER = _LIST_PAGE.where(
    tuple_(contact_columns.created_at, contact_columns.id)
    > tuple_(
        bindparam("after_created_at", type_=contact_columns.created_at.type),
        bindparam("after_id", type_=contact_columns.id.type),
    )
)
"""A batch's contacts unfiltered in the default order (the page a batch view opens with, and
its next pages), built once with bind parameters; the same SQL `list_contacts` builds for that
shape (`rows_after` compares two non-NULL ascending keys as a row, too)."""


def _prebuilt_page(
    contact_filter: ContactFilter, sort: Sequence[ContactSort], after: Sequence[Any] | None
) -> tuple[Select[Any], dict[str, Any]] | None:
    if contact_filter != ContactFilter() or tuple(sort) != DEFAULT_SORT:
        return None
    if after is None:
        return _LIST_PAGE, {}
    if len(after) != 2 or any(value is None for value in after):
        return None
    return _LIST_PAGE_AFTER, {"after_created_at": after[0], "after_id": after[1]}


async def list_contacts(
    session: AsyncSession,
    agency_id: uuid.UUID,
    batch_id: uuid.UUID,
    contact_filter: ContactFilter,
    sort: Sequence[ContactSort] = DEFAULT_SORT,
    *,
    limit: int,
    offset: int = 0,
    after: Sequence[Any] | None = None,
) -> list[ContactRow]:
    prebuilt = _prebuilt_page(contact_filter, sort, after)
    if prebuilt is not None:
        statement, parameters = prebuilt
        parameters |= {"agency_id": agency_id, "batch_id": batch_id, "limit": limit}
        if offset:
            statement = statement.offset(bindparam("offset"))
            parameters["offset"] = offset
        found = await session.execute(statement, parameters)
        return [ContactRow(row[0], tuple(row[1:])) for row in found.all()]
    keys = order_keys(sort)
    query: Select[Any] = select(CampaignContact, *(key.expression for key in keys)).where(
        *matching(agency_id, batch_id, contact_filter)
    )
    if after is not None:
        query = query.where(rows_after(keys, after))
    query = query.order_by(*order_by_clauses(keys)).limit(limit)
    if offset:
        query = query.offset(offset)
    result = await session.execute(query)
    return [ContactRow(row[0], tuple(row[1:])) for row in result.all()]


def _counted_filter(contact_filter: ContactFilter) -> bool:
    """Whether the counters can answer: no condition other than one status."""
    return contact_filter == ContactFilter(status=contact_filter.status)


async def count_contacts(
    session: AsyncSession,
    agency_id: uuid.UUID,
    batch_id: uuid.UUID,
    contact_filter: ContactFilter,
    sort: Sequence[ContactSort] = DEFAULT_SORT,
    *,
    after: Sequence[Any] | None = None,
) -> int:
    """How many contacts match; with `after`, how many of them come after that position.

    Without a position and with no filter but `status`, the batch's counter row answers
    (db/counters.py), so a 100,000-contact batch is not scanned."""
    if after is None and _counted_filter(contact_filter):
        return await counted_contacts(session, agency_id, batch_id, contact_filter.status)
    query = count_query(agency_id, batch_id, contact_filter, sort, after)
    return int((await session.execute(query)).scalar_one())


def count_query(
    agency_id: uuid.UUID,
    batch_id: uuid.UUID,
    contact_filter: ContactFilter,
    sort: Sequence[ContactSort] = DEFAULT_SORT,
    after: Sequence[Any] | None = None,
) -> Select[Any]:
    """`SELECT … AS rows`: what `count_contacts` answers, as one statement (from the batch's
    counter row when it can, as `count_contacts` does)."""
    if after is None and _counted_filter(contact_filter):
        return counted_query(agency_id, batch_id, contact_filter.status)
    query = (
        select(func.count().label("rows"))
        .select_from(CampaignContact)
        .where(*matching(agency_id, batch_id, contact_filter))
    )
    if after is not None:
        query = query.where(rows_after(order_keys(sort), after))
    return query


_CALL_LOGS = (
    select(CallLog)
    .where(
        CallLog.agency_id == bindparam("agency_id"),
        CallLog.contact_id == any_(bindparam("contact_ids", type_=ARRAY(Uuid()))),
    )
    .order_by(CallLog.contact_id, CallLog.created_at, CallLog.id)
)


async def call_logs_by_contact(
    session: AsyncSession, agency_id: uuid.UUID, contact_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CallLog]]:
    """Call logs of many contacts in one statement, oldest first per contact.

    The ids travel as one `uuid[]` parameter (`= ANY(...)`), so the statement text is the same
    for every page size and shows up as one entry in pg_stat_statements."""
    parameters = {"agency_id": agency_id, "contact_ids": list(contact_ids)}
    logs: dict[uuid.UUID, list[CallLog]] = defaultdict(list)
    for log in (await session.execute(_CALL_LOGS, parameters)).scalars():
        logs[log.contact_id].append(log)
    return logs

"""GraphQL input types and argument checks, turned into the `db` layer's plain arguments."""

from __future__ import annotations

import strawberry

from core.arguments import ContactFilterText
from core.errors import BadUserInput
from db import contacts as contact_queries
from schema.types import ContactSortField, ContactStatus, SortDirection


@strawberry.input
class ContactFilter:
    status: ContactStatus | None = None
    status_in: list[ContactStatus] | None = strawberry.field(
        default=None,
        description="Contacts in any of these statuses; an empty list matches no contact.",
    )
    outcome: str | None = None
    priority: str | None = None
    do_not_call: bool | None = None
    call_status: str | None = strawberry.field(
        default=None,
        description=(
            "Contacts with at least one call log of this call_status "
            '(the seed\'s filter={"callStatus":"completed"}).'
        ),
    )

    def to_query(self, search: str | None) -> contact_queries.ContactFilter:
        """The `db` filter, its text fields checked (`ContactFilterText`)."""
        text = ContactFilterText(self.outcome, self.priority, self.call_status)
        return contact_queries.ContactFilter(
            status=self.status.value if self.status else None,
            status_in=tuple(sorted({s.value for s in self.status_in}))
            if self.status_in is not None
            else None,
            outcome=text.outcome,
            priority=text.priority,
            do_not_call=self.do_not_call,
            call_status=text.call_status,
            search=search,
        )


@strawberry.input
class ContactSort:
    field: ContactSortField  # type: ignore[valid-type]
    direction: SortDirection | None = SortDirection.ASC


def contact_sort(sort: list[ContactSort] | None) -> tuple[contact_queries.ContactSort, ...]:
    if not sort:
        return contact_queries.DEFAULT_SORT
    fields = [item.field for item in sort]
    if len(set(fields)) != len(fields):
        raise BadUserInput("sort lists a field more than once")
    return tuple(
        contact_queries.ContactSort(item.field, descending=item.direction is SortDirection.DESC)
        for item in sort
    )

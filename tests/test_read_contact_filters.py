"""Oracle tests of `batch.contacts(filter:, search:)`: build rows, compute the answer in Python,
compare with the API (ids in the default order, created_at ascending)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.factories import Factory
from tests.read_api_support import (
    CONTACTS_QUERY,
    contact_ids,
    contact_row,
    contacts,
    error_codes,
    with_ids,
)
from tests.tenant import Tenant

ROWS = [
    contact_row(status="pending", priority="low", outcome=None, do_not_call=False),
    contact_row(status="queued", priority="normal", outcome="voicemail", do_not_call=True),
    contact_row(status="in_progress", priority="high", outcome="answered", do_not_call=False),
    contact_row(status="completed", priority="high", outcome="answered", do_not_call=False),
    contact_row(status="completed", priority="normal", outcome="no_answer", do_not_call=True),
    contact_row(status="failed", priority="low", outcome="busy", do_not_call=False),
    contact_row(status="skipped", priority="normal", outcome=None, do_not_call=True),
    contact_row(status="pending", priority="high", outcome="voicemail", do_not_call=False),
]
CALL_STATUSES = [["completed"], ["no-answer", "completed"], [], ["busy"], ["no-answer"], [], [], []]


@pytest.fixture
async def seeded(tenant: Tenant, factory: Factory) -> tuple[uuid.UUID, list[dict[str, Any]]]:
    batch_id = await factory.batch(tenant.agency_id)
    rows = with_ids(ROWS, await factory.contacts(batch_id, tenant.agency_id, ROWS))
    for row, statuses in zip(rows, CALL_STATUSES, strict=True):
        row["call_statuses"] = statuses
        for call_status in statuses:
            await factory.call_log(row["id"], tenant.agency_id, call_status=call_status)
    other = await factory.batch(tenant.agency_id)
    await factory.contacts(other, tenant.agency_id, ROWS)
    return batch_id, rows


FILTERS: list[tuple[dict[str, Any], Any]] = [
    ({"status": "COMPLETED"}, lambda r: r["status"] == "completed"),
    ({"status": "PENDING"}, lambda r: r["status"] == "pending"),
    ({"statusIn": ["QUEUED", "FAILED"]}, lambda r: r["status"] in {"queued", "failed"}),
    ({"statusIn": ["IN_PROGRESS"]}, lambda r: r["status"] == "in_progress"),
    ({"statusIn": []}, lambda r: False),
    ({"status": "COMPLETED", "statusIn": ["COMPLETED", "FAILED"]}, lambda r: r["status"] == "completed"),
    ({"status": "PENDING", "statusIn": ["FAILED"]}, lambda r: False),
    ({"outcome": "answered"}, lambda r: r["outcome"] == "answered"),
    ({"outcome": "voicemail"}, lambda r: r["outcome"] == "voicemail"),
    ({"priority": "high"}, lambda r: r["priority"] == "high"),
    ({"priority": "low"}, lambda r: r["priority"] == "low"),
    ({"priority": "urgent"}, lambda r: False),
    ({"doNotCall": True}, lambda r: r["do_not_call"]),
    ({"doNotCall": False}, lambda r: not r["do_not_call"]),
    ({"callStatus": "completed"}, lambda r: "completed" in r["call_statuses"]),
    ({"callStatus": "no-answer"}, lambda r: "no-answer" in r["call_statuses"]),
    ({"callStatus": "busy", "priority": "low"}, lambda r: r["priority"] == "low" and "busy" in r["call_statuses"]),
    ({"priority": "high", "doNotCall": False, "outcome": "answered"}, lambda r: r["priority"] == "high" and r["outcome"] == "answered"),
    ({}, lambda r: True),
]  # fmt: skip


@pytest.mark.parametrize(("contact_filter", "matches"), FILTERS, ids=[str(f) for f, _ in FILTERS])
async def test_each_contact_filter_returns_exactly_the_matching_contacts_of_the_batch(
    tenant: Tenant,
    seeded: tuple[uuid.UUID, list[dict[str, Any]]],
    contact_filter: dict[str, Any],
    matches: Any,
) -> None:
    batch_id, rows = seeded
    expected = [r["id"] for r in rows if matches(r)]

    page = await contacts(tenant, batch_id, filter=contact_filter, limit=200)

    assert [uuid.UUID(n["id"]) for n in page["nodes"]] == expected
    assert page["totalCount"] == page["pagination"]["total"] == len(expected)


async def test_call_status_filter_counts_a_contact_once_however_many_matching_logs_it_has(
    tenant: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    contact_id = await factory.contact(batch_id, tenant.agency_id)
    for _ in range(3):
        await factory.call_log(contact_id, tenant.agency_id, call_status="completed")

    page = await contacts(tenant, batch_id, filter={"callStatus": "completed"})

    assert [n["id"] for n in page["nodes"]] == [str(contact_id)]
    assert page["totalCount"] == 1


SEARCHABLE = [
    contact_row(first_name="Emily", last_name="Davis", email="emily@acme.test", company="ACME Corp"),
    contact_row(first_name="John", last_name="Doe", title="Procurement Lead", account_id="ACC-5678"),
    contact_row(company="Globex", custom_data={"city": "Springfield", "tier": "gold", "score": 5678}),
    contact_row(custom_data={"note": "50% off", "nested": {"city": "Shelbyville"}, "flag": True}),
    contact_row(last_name="O_Brien", account_id="ACC_1", email="x\\y@example.test"),
    contact_row(first_name="Ana", company="100 percent"),
]  # fmt: skip


def _matches(row: dict[str, Any], term: str) -> bool:
    """The contract's search: a case-insensitive substring of a searchable field (the full name
    counting as one) or of a string value of custom_data (top level), never spanning two fields."""
    full_name = " ".join(n for n in (row["first_name"], row["last_name"]) if n is not None)
    fields = [
        row.get("phone_number"),
        row["first_name"],
        row["last_name"],
        full_name,
        row["email"],
        row["company"],
        row["title"],
        row["account_id"],
        *(v for v in row["custom_data"].values() if isinstance(v, str)),
    ]
    return any(term.lower() in field.lower() for field in fields if field is not None)


SEARCHES = [
    "emily", "EMILY", "dAvIs", "acme", "procurement", "acc-5678", "5678", "springfield",
    "GOLD", "50%", "%", "_", "o_b", "acc_", "\\", "x\\y", "percent", "shelbyville", "true",
    "emily davis", "Emily Dav", "y d", "john doe", "doe acc", "+1555", "zzz-nothing",
]  # fmt: skip


@pytest.mark.parametrize("term", SEARCHES)
async def test_search_is_a_literal_case_insensitive_substring_of_the_searchable_fields(
    tenant: Tenant, factory: Factory, term: str
) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    ids = await factory.contacts(batch_id, tenant.agency_id, SEARCHABLE)
    rows = with_ids(SEARCHABLE, ids)
    numbers = await _phone_numbers(tenant, batch_id)
    for row in rows:
        row["phone_number"] = numbers[row["id"]]
    expected = [r["id"] for r in rows if _matches(r, term)]

    assert await contact_ids(tenant, batch_id, search=term) == expected


async def _phone_numbers(tenant: Tenant, batch_id: uuid.UUID) -> dict[uuid.UUID, str]:
    data = await tenant.data(
        "query($id: ID!) { batch(id: $id) { contacts(limit: 200) { nodes { id phoneNumber } } } }",
        {"id": str(batch_id)},
    )
    return {uuid.UUID(n["id"]): n["phoneNumber"] for n in data["batch"]["contacts"]["nodes"]}


async def test_search_percent_and_underscore_are_not_wildcards(
    tenant: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    literal_ids = await factory.contacts(
        batch_id,
        tenant.agency_id,
        [contact_row(company="50% off"), contact_row(company="a_b")],
    )
    await factory.contacts(
        batch_id, tenant.agency_id, [contact_row(company="500 off"), contact_row(company="axb")]
    )

    assert await contact_ids(tenant, batch_id, search="50%") == literal_ids[:1]
    assert await contact_ids(tenant, batch_id, search="a_b") == literal_ids[1:]


async def test_search_combines_with_filters_and_blank_search_means_no_search(
    tenant: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    ids = await factory.contacts(
        batch_id,
        tenant.agency_id,
        [
            contact_row(company="Acme", status="completed"),
            contact_row(company="Acme", status="pending"),
            contact_row(company="Other", status="completed"),
        ],
    )

    assert await contact_ids(tenant, batch_id, search="acme", filter={"status": "COMPLETED"}) == [
        ids[0]
    ]
    assert await contact_ids(tenant, batch_id, search="   ") == ids


@pytest.mark.parametrize("term", ["a\nb", "\x00", "tab\there", "x" * 201])
async def test_search_with_control_characters_or_over_200_characters_is_bad_user_input(
    tenant: Tenant, factory: Factory, term: str
) -> None:
    batch_id = await factory.batch(tenant.agency_id)

    codes = await error_codes(tenant, CONTACTS_QUERY, {"id": str(batch_id), "search": term})

    assert codes == ["BAD_USER_INPUT"]


async def test_search_of_exactly_200_characters_is_accepted(
    tenant: Tenant, factory: Factory
) -> None:
    batch_id = await factory.batch(tenant.agency_id)
    [contact_id] = await factory.contacts(
        batch_id, tenant.agency_id, [contact_row(company="y" * 200)]
    )

    assert await contact_ids(tenant, batch_id, search="y" * 200) == [contact_id]

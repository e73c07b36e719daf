"""Compiled reads sent as one `read_in_scope()` statement (migration 0010) on the app's own
engine and pool, the way a server sends them: the same answers as in a transaction of their
own, a caller who left its agency signed in afresh, a statement the session lost prepared
again."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from bench.queries import Q1, Q2, Q3, Q4
from core.settings import Settings
from db.driver_transaction import READ_IN_SCOPE, ReadInScope, read_in_scope
from db.engine import create_engine
from db.tenancy import read_scope
from tests.committed_data import CommittedData, committed
from tests.test_round_trips import _logged, app_on_own_engine

__all__ = ["committed"]

BATCHES_FILTERED = """query($search: String) { batches(page: 1, limit: 5, search: $search) {
  totalCount nodes { id name status totalContacts progressPercentage } } }"""


async def _answers(
    settings: Settings,
    agency_id: uuid.UUID,
    user_id: uuid.UUID,
    requests: list[tuple[str, dict[str, Any]]],
) -> tuple[list[Any], list[int]]:
    """Each request's whole body, and how many `read_in_scope()` statements it sent."""
    bodies: list[Any] = []
    in_scope: list[int] = []
    async with app_on_own_engine(settings, agency_id, user_id) as (tenant, trips):
        await tenant.data(Q1, {})  # signs in: the caller is then one this worker has seen
        for document, variables in requests:
            await _logged()
            trips.clear()
            bodies.append(await tenant.query(document, variables))
            await _logged()
            in_scope.append(trips.sent.count(READ_IN_SCOPE))
    return bodies, in_scope


async def test_reads_in_one_statement_answer_as_reads_in_a_transaction(
    settings: Settings, committed: CommittedData
) -> None:
    agency_id, user_id = await committed.agency_with_user()
    batch_id = await committed.batch(agency_id, contacts=60, name="Alpha 'quoted' {braces}")
    await committed.batch(agency_id, contacts=3, name='back\\slash "NULL", comma')
    await committed.execute(
        "UPDATE campaign_contacts SET status = 'completed', first_name = 'Ann ''O\\Neil {x,y}' "
        "WHERE batch_id = :batch_id",
        batch_id=batch_id,
    )
    one = settings.model_copy(update={"one_statement_reads": True})
    first_page, _ = await _answers(one, agency_id, user_id, [(Q2, {"id": str(batch_id)})])
    cursor = first_page[0]["data"]["batch"]["contacts"]["pageInfo"]["endCursor"]
    requests: list[tuple[str, dict[str, Any]]] = [
        (Q1, {}),
        (Q2, {"id": str(batch_id)}),
        (Q3, {"id": str(batch_id), "search": "'o\\neil {x,"}),
        (Q3, {"id": str(batch_id), "search": "NULL"}),
        (Q4, {"id": str(batch_id), "after": cursor}),
        (BATCHES_FILTERED, {"search": "'quoted'"}),
        (BATCHES_FILTERED, {"search": 'slash "NULL"'}),
        (BATCHES_FILTERED, {"search": "\\"}),
    ]

    in_one, sent = await _answers(one, agency_id, user_id, requests)
    in_transaction, _ = await _answers(
        settings.model_copy(update={"one_statement_reads": False}), agency_id, user_id, requests
    )

    assert sent == [1] * len(requests), "every request was one read_in_scope() statement"
    assert in_one == in_transaction
    assert all("errors" not in body for body in in_one), in_one
    assert in_one[0]["data"]["batches"]["totalCount"] == 2
    assert len(in_one[2]["data"]["batch"]["contacts"]["nodes"]) == 50
    assert in_one[6]["data"]["batches"]["totalCount"] == 1


async def test_a_caller_who_left_its_agency_is_signed_in_afresh(
    settings: Settings, committed: CommittedData
) -> None:
    """The statement finds the user no longer of the agency it had on its last request: it
    reads nothing, and the request signs in again and answers for the user's agency now."""
    first_agency, user_id = await committed.agency_with_user()
    second_agency, _ = await committed.agency_with_user()
    await committed.batch(first_agency, name="first's")
    await committed.batch(second_agency, name="second's")
    async with app_on_own_engine(settings, first_agency, user_id) as (tenant, trips):
        before = await tenant.data(Q1, {})
        await committed.execute(
            "UPDATE users SET agency_id = :agency WHERE id = :user",
            agency=second_agency,
            user=user_id,
        )
        await _logged()
        trips.clear()
        after = await tenant.data(Q1, {})
        await _logged()
        sent = list(trips.sent)
        await committed.execute(
            "UPDATE users SET agency_id = :agency WHERE id = :user",
            agency=first_agency,
            user=user_id,
        )

    assert [n["name"] for n in before["batches"]["nodes"]] == ["first's"]
    assert [n["name"] for n in after["batches"]["nodes"]] == ["second's"]
    assert sent[0] == READ_IN_SCOPE and sum(sql.startswith("BEGIN") for sql in sent) == 1


@pytest.mark.parametrize("lost_by", ["DEALLOCATE", "a new connection"])
async def test_a_statement_the_session_lost_is_prepared_again(
    settings: Settings, committed: CommittedData, lost_by: str
) -> None:
    agency_id, user_id = await committed.agency_with_user()
    await committed.batch(agency_id, contacts=2)
    async with app_on_own_engine(settings, agency_id, user_id) as (tenant, trips):
        first = await tenant.data(Q1, {})
        engine = tenant.client._transport.app.state.app.engine  # type: ignore[attr-defined]
        async with engine.connect() as connection:
            if lost_by == "DEALLOCATE":
                names = (
                    await connection.execute(
                        text(
                            "SELECT name FROM pg_prepared_statements "
                            "WHERE name LIKE 'callbatch_read_%'"
                        )
                    )
                ).scalars()
                for name in list(names):
                    await connection.exec_driver_sql(f'DEALLOCATE "{name}"')
                await connection.commit()
            else:
                await connection.invalidate()
        await _logged()
        trips.clear()
        again = await tenant.data(Q1, {})
        await _logged()
        sent = list(trips.sent)

    assert again == first
    assert sent == [READ_IN_SCOPE]


async def test_a_session_that_prepared_a_read_is_sent_its_name_alone(
    settings: Settings, committed: CommittedData
) -> None:
    """Migration 0011: the read's text goes only to a session that has not prepared it (a
    broken text is then never looked at). A session that lost it refuses the call once; the
    read is sent again with its text on the same connection, which sends the text from then on
    (behind PgBouncer in transaction mode each read may reach another server session)."""
    agency_id, user_id = await committed.agency_with_user()
    await committed.batch(agency_id)
    scope = read_scope(agency_id, user_id, 5_000)
    name = f"callbatch_read_test_{uuid.uuid4().hex}"
    sql = "SELECT count(*)::text, ($1[1])::bigint FROM call_batches"

    def read(statement: str, value: str) -> ReadInScope:
        return ReadInScope(scope, name, statement, [value])

    sent: list[tuple[bool, bool]] = []
    """Each read_in_scope() call the server saw: (its text was sent, it failed)."""

    def log(query: Any) -> None:
        if query.query == READ_IN_SCOPE:
            sent.append((query.args[5] is not None, query.exception is not None))

    engine = create_engine(settings, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            driver.add_query_logger(log)
        first = await read_in_scope(engine, read(sql, "7"), 5)
        known = await read_in_scope(engine, read("NOT SQL AT ALL", "8"), 5)
        async with engine.connect() as connection:
            await connection.exec_driver_sql(f'DEALLOCATE "{name}"')
            await connection.commit()
        lost = await read_in_scope(engine, read(sql, "9"), 5)
        after = await read_in_scope(engine, read(sql, "10"), 5)
        await _logged()
    finally:
        await engine.dispose()

    assert [(r["body"], r["rows_read"]) for r in (first, known, lost, after)] == [
        ("1", 7),
        ("1", 8),
        ("1", 9),
        ("1", 10),
    ], "the agency's one batch, under row-level security"
    assert [r["prepared"] for r in (first, known, lost, after)] == [True, False, True, False]
    assert sent == [(True, False), (False, False), (False, True), (True, False), (True, False)]

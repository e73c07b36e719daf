"""The compiled path beside the resolvers: one data set with the awkward cases (ties, NULLs,
empty strings, microseconds with trailing zeros, a deleted batch, two agencies), a client of
an app whose compiled path is off (the reference), and a check that both answer a request
with the same status and the very same bytes."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from tests.factories import T0, Factory
from tests.read_api_support import contact_row
from tests.tenant import Tenant, token_for
from web.state import AppState

TIE = T0 + timedelta(hours=1, microseconds=120000)
"""A creation time two batches (and several contacts) share, its fraction ending in zeros."""


@dataclass
class DataSet:
    agency_id: uuid.UUID
    user_id: uuid.UUID
    batch_ids: list[uuid.UUID]
    """The agency's visible batches: the one with contacts first."""
    deleted_batch_id: uuid.UUID
    other_agency_batch_id: uuid.UUID
    campaign_id: uuid.UUID
    contact_ids: list[uuid.UUID] = field(default_factory=list)


async def _contacts_with_logs(
    factory: Factory, batch_id: uuid.UUID, agency_id: uuid.UUID
) -> list[uuid.UUID]:
    rows = [
        contact_row(
            first_name="Ann",
            last_name="Lee",
            status="completed",
            outcome="answered",
            priority="high",
            attempts=2,
            duration_seconds=61,
            email="ann@example.com",
            completed_at=TIE,
            last_attempt_at=TIE,
            created_at=TIE,
            custom_data={"plan": "gold", "score": 1.5, "tags": ["a", "é"], "n": 10},
        ),
        contact_row(
            first_name="Ann",
            last_name="Lee",
            status="completed",
            outcome="voicemail",
            created_at=TIE,
            company="Acme_%",
            title="CEO",
            account_id="A-1",
        ),
        contact_row(
            first_name=None,
            last_name=None,
            status="pending",
            priority="low",
            custom_data={"nested": {"x": None, "y": [1, 2.25]}},
        ),
        contact_row(
            first_name="",
            last_name="Kim",
            status="failed",
            outcome="busy",
            do_not_call=True,
            last_attempt_at=T0 + timedelta(microseconds=5),
        ),
        contact_row(
            first_name="Bob",
            last_name="",
            status="in_progress",
            attempts=1,
            duration_seconds=0,
            timezone="Europe/Paris",
        ),
        contact_row(first_name="bob", last_name=None, status="skipped", priority="high"),
        contact_row(
            first_name="Zoë",
            last_name="Ünal",
            status="queued",
            custom_data={
                "quote": 'say "hi"\\n',
                "emoji": "📞",
                "beyond_64_bits": 2**70,
                "exponent": 1e300,
            },
        ),
    ]
    ids = await factory.contacts(batch_id, agency_id, rows)
    await factory.call_log(ids[0], agency_id, call_status="no-answer", created_at=TIE)
    await factory.call_log(
        ids[0],
        agency_id,
        call_status="completed",
        duration_seconds=61,
        recording_url="https://r.example/1",
        transcript="Hello\nthere",
        created_at=TIE,
    )
    await factory.call_log(ids[3], agency_id, call_status="busy")
    return ids


async def data_set(factory: Factory) -> DataSet:
    agency_id = await factory.agency(name="Agency A")
    user_id = await factory.user(agency_id)
    campaign_id = await factory.campaign(agency_id, name="Spring")
    agent_id = await factory.agent(agency_id, name="Agent Smith")
    main = await factory.batch(
        agency_id,
        name="Alpha calls",
        status="processing",
        campaign_id=campaign_id,
        agent_mapping_id=agent_id,
        from_number="+15550001111",
        calls_per_minute=30,
        max_concurrent=5,
        scheduled_for=TIE,
        started_at=T0 + timedelta(microseconds=999999),
        created_at=TIE,
    )
    tied = await factory.batch(agency_id, name="Beta", status="paused", created_at=TIE)
    empty = await factory.batch(agency_id, name="gamma_100%", status="completed")
    others = [await factory.batch(agency_id, name=f"Bulk {n}") for n in range(4)]
    deleted = await factory.batch(
        agency_id, name="Alpha deleted", deleted_at=T0 + timedelta(days=1)
    )
    await factory.contacts(deleted, agency_id, [contact_row()])
    contact_ids = await _contacts_with_logs(factory, main, agency_id)
    await factory.contacts(tied, agency_id, [contact_row(created_at=TIE)] * 3)

    other_agency = await factory.agency(name="Agency B")
    await factory.user(other_agency)
    other_batch = await factory.batch(other_agency, name="Alpha calls", created_at=TIE)
    await _contacts_with_logs(factory, other_batch, other_agency)
    return DataSet(
        agency_id,
        user_id,
        [main, tied, empty, *others],
        deleted,
        other_batch,
        campaign_id,
        contact_ids,
    )


@dataclass
class BothPaths:
    """The app with its compiled path (`compiled`) and the same app without (`reference`)."""

    compiled: httpx.AsyncClient
    reference: httpx.AsyncClient
    answered: list[bool]
    """For each request the compiled app took, whether its compiled path answered."""
    states: tuple[AppState, AppState]

    def configure(self, **settings: Any) -> None:
        """Change the same settings of both apps."""
        for state in self.states:
            state.settings = state.settings.model_copy(update=settings)

    async def agree(
        self, user_id: uuid.UUID, query: str, variables: dict[str, Any] | None = None
    ) -> httpx.Response:
        """Send the request to both; assert the same status and body bytes; return one."""
        body = {"query": query, "variables": variables or {}}
        headers = {"Authorization": f"Bearer {token_for(user_id)}"}
        reference = await self.reference.post("/graphql", json=body, headers=headers)
        compiled = await self.compiled.post("/graphql", json=body, headers=headers)
        assert compiled.status_code == reference.status_code, (
            query,
            variables,
            compiled.content,
            reference.content,
        )
        assert _without_request_ids(compiled.content) == _without_request_ids(reference.content), (
            query,
            variables,
            compiled.content,
            reference.content,
        )
        return reference

    def tenant(self, data: DataSet) -> Tenant:
        return Tenant(data.agency_id, data.user_id, self.reference)


def _without_request_ids(body: bytes) -> bytes:
    """Error bodies carry each request's own id; everything else must match byte for byte."""
    return re.sub(rb'"requestId":"[^"]*"', b'"requestId":"-"', body)


class DifferentialTransport(httpx.AsyncBaseTransport):
    """Sends each GraphQL query to the reference app (compiled path off) and then to the app
    under test, asserts the same status and bytes, and returns the latter's response: a read
    test run through it proves both paths agree on every request it makes. Anything that is not
    a plain POST of a query (a mutation, another route) goes to the app under test only."""

    def __init__(self, compiled: httpx.AsyncBaseTransport, reference: httpx.AsyncBaseTransport):
        self.compiled = compiled
        self.reference = reference
        self.compared = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not _is_query(request):
            return await self.compiled.handle_async_request(request)
        reference = await self.reference.handle_async_request(_copy(request))
        compiled = await self.compiled.handle_async_request(request)
        expected, got = await reference.aread(), await compiled.aread()
        assert (compiled.status_code, _without_request_ids(got)) == (
            reference.status_code,
            _without_request_ids(expected),
        ), (request.content, got, expected)
        assert _headers(compiled) == _headers(reference), request.content
        self.compared += 1
        return compiled


def _headers(response: httpx.Response) -> dict[str, str]:
    """What a client reads of a response's headers: all but its request id and date."""
    return {k: v for k, v in response.headers.items() if k not in ("x-request-id", "date")}


def _is_query(request: httpx.Request) -> bool:
    if request.method != "POST" or request.url.path != "/graphql":
        return False
    try:
        body = json.loads(request.content)
    except ValueError:
        return False
    query = body.get("query") if isinstance(body, dict) else None
    return isinstance(query, str) and not re.match(r"\s*(mutation|subscription)\b", query)


def _copy(request: httpx.Request) -> httpx.Request:
    return httpx.Request(
        request.method, request.url, headers=request.headers, content=request.content
    )

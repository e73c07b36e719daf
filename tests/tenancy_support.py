"""The tenancy matrix's world: two agencies with look-alike data, and the queries and arguments
run against it (tests/test_tenancy.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import insert

from db.contacts import ContactSortField
from db.models import CallLog
from tests.factories import T0, Factory
from tests.tenant import Tenant

BATCH_STATUSES = ("pending", "processing", "completed", "paused")
CONTACT_LOOKS: tuple[dict[str, Any], ...] = (
    {"first_name": "Jordan", "last_name": "Lee", "status": "completed", "priority": "high",
     "outcome": "answered", "do_not_call": False, "attempts": 2, "duration_seconds": 60},
    {"first_name": "Jordan", "last_name": "Kim", "status": "failed", "priority": "low",
     "outcome": "no_answer", "do_not_call": True, "attempts": 3, "duration_seconds": None},
    {"first_name": "Sam", "last_name": "Lee", "status": "pending", "priority": "normal",
     "outcome": None, "do_not_call": False, "attempts": 0, "duration_seconds": 5},
)  # fmt: skip
"""Each batch of each agency holds one contact of each look."""


@dataclass
class AgencyData:
    batch_ids: list[uuid.UUID] = field(default_factory=list)
    contact_ids: list[uuid.UUID] = field(default_factory=list)
    call_log_ids: list[uuid.UUID] = field(default_factory=list)
    campaign_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    call_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def ids(self) -> set[str]:
        values = [*self.batch_ids, *self.contact_ids, *self.call_log_ids, self.call_id]
        values += [v for v in (self.campaign_id, self.agent_id) if v is not None]
        return {str(v) for v in values}


async def lookalike(factory: Factory, agency_id: uuid.UUID, second: int) -> AgencyData:
    """The same data set for any agency; `second` (0 or 1) interleaves the two in time."""
    data = AgencyData()
    data.campaign_id = await factory.campaign(agency_id, name="Spring Renewals")
    data.agent_id = await factory.agent(agency_id, name="Agent Smith")
    for b, status in enumerate(BATCH_STATUSES):
        created = T0 + timedelta(minutes=10 * b, seconds=second)
        batch_id = await factory.batch(
            agency_id,
            name=f"Renewals {status}",
            status=status,
            campaign_id=data.campaign_id,
            agent_mapping_id=data.agent_id,
            from_number="+15550000000",
            created_at=created,
            updated_at=created,
        )
        data.batch_ids.append(batch_id)
        rows = [
            {
                **look,
                "phone_number": f"+1555000{b}{c}00",
                "email": "jordan@example.com",
                "company": "Acme Corp",
                "title": "Buyer",
                "account_id": "ACC-42",
                "custom_data": {"region": "North", "tier": "gold"},
                "call_id": data.call_id if c == 0 and b == 0 else None,
                "last_attempt_at": created + timedelta(minutes=c),
                "completed_at": created + timedelta(minutes=c) if c == 0 else None,
                "created_at": created + timedelta(seconds=2 * c),
            }
            for c, look in enumerate(CONTACT_LOOKS)
        ]
        data.contact_ids += await factory.contacts(batch_id, agency_id, rows)
    logs: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "contact_id": contact_id,
            "agency_id": agency_id,
            "call_status": call_status,
            "recording_url": "https://r/x",
            "created_at": T0 + timedelta(seconds=n),
        }
        for n, (contact_id, call_status) in enumerate(
            (c, s) for c in data.contact_ids for s in ("completed", "no_answer")
        )
    ]
    await factory.connection.execute(insert(CallLog), logs)
    data.call_log_ids = [log["id"] for log in logs]
    return data


@dataclass
class World:
    a: Tenant
    b: Tenant
    mine: AgencyData
    theirs: AgencyData


async def build_world(tenant: Tenant, other_tenant: Tenant, factory: Factory) -> World:
    mine = await lookalike(factory, tenant.agency_id, second=0)
    theirs = await lookalike(factory, other_tenant.agency_id, second=1)
    return World(tenant, other_tenant, mine, theirs)


CONTACT_FIELDS = """
  id phoneNumber name email company accountId status callId outcome customData
  callLogs { id callStatus }
"""
BATCH_FIELDS = """
  id name status campaignId campaignName agentMappingId agentName totalContacts pending
  completed failed callsPicked progressPercentage remainingCount
"""

BATCHES = f"""
query Batches($search: String, $status: BatchStatus, $campaignId: ID, $page: Int,
              $limit: Int, $first: Int, $after: String) {{
  batches(search: $search, status: $status, campaignId: $campaignId, page: $page,
          limit: $limit, first: $first, after: $after) {{
    totalCount
    nodes {{ {BATCH_FIELDS} }}
    edges {{ cursor node {{ id }} }}
    pageInfo {{ endCursor hasNextPage }}
    pagination {{ total totalPages }}
  }}
}}
"""

CONTACTS = f"""
query Contacts($id: ID!, $filter: ContactFilter, $search: String, $sort: [ContactSort!],
               $offset: Int, $limit: Int, $first: Int, $after: String) {{
  batch(id: $id) {{
    {BATCH_FIELDS}
    contacts(filter: $filter, search: $search, sort: $sort, offset: $offset, limit: $limit,
             first: $first, after: $after) {{
      totalCount
      nodes {{ {CONTACT_FIELDS} }}
      edges {{ cursor node {{ id }} }}
      pageInfo {{ endCursor }}
      pagination {{ total }}
    }}
  }}
}}
"""

BATCH_ARGUMENTS: list[dict[str, Any]] = [
    {},
    {"search": "Renewals"},
    {"search": "renewals PENDING"},
    {"search": "completed"},
    {"search": "%"},
    {"search": "_"},
    *({"status": s.upper()} for s in BATCH_STATUSES),
    {"limit": 100},
    {"page": 2, "limit": 1},
    {"first": 2},
    {"first": 100},
]

CONTACT_ARGUMENTS: list[dict[str, Any]] = [
    {},
    {"search": "Jordan"},
    {"search": "jordan@example.com"},
    {"search": "+1555"},
    {"search": "acme"},
    {"search": "ACC-42"},
    {"search": "North"},
    {"search": "gold"},
    {"filter": {"status": "COMPLETED"}},
    {"filter": {"statusIn": ["FAILED", "PENDING"]}},
    {"filter": {"outcome": "answered"}},
    {"filter": {"priority": "high"}},
    {"filter": {"doNotCall": True}},
    {"filter": {"doNotCall": False}},
    {"filter": {"callStatus": "completed"}},
    {"filter": {"callStatus": "no_answer"}, "search": "Lee"},
    *(
        {"sort": [{"field": f, "direction": d}]}
        for f in (sort_field.name for sort_field in ContactSortField)
        for d in ("ASC", "DESC")
    ),
    {"sort": [{"field": "NAME"}, {"field": "STATUS", "direction": "DESC"}]},
    {"offset": 1, "limit": 2},
    {"first": 1},
    {"first": 200},
]


def assert_none_of(text: str, theirs: AgencyData) -> None:
    leaked = sorted(i for i in theirs.ids() if i in text)
    assert not leaked, f"agency B's ids leaked: {leaked}"

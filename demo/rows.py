"""Every row of the demo data set: agencies, users, campaigns, agents and batches (their
contacts come from `contacts.py`)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from db.models import (
    Agency,
    AgentMapping,
    Base,
    CallBatch,
    CallLog,
    Campaign,
    CampaignContact,
    User,
)
from demo.contacts import BatchContext, PhoneBook, contact_rows
from demo.plan import (
    AGENCIES,
    BASE_TIME,
    DEMO_USER_EMAIL,
    DEMO_USER_WITHOUT_AGENCY_EMAIL,
    SEED,
    AgencyPlan,
    BatchPlan,
    DemoSummary,
    Row,
    demo_id,
)


@dataclass
class DemoRows:
    agencies: list[Row] = field(default_factory=list)
    users: list[Row] = field(default_factory=list)
    campaigns: list[Row] = field(default_factory=list)
    agent_mappings: list[Row] = field(default_factory=list)
    call_batches: list[Row] = field(default_factory=list)
    campaign_contacts: list[Row] = field(default_factory=list)
    call_logs: list[Row] = field(default_factory=list)

    def in_insert_order(self) -> list[tuple[type[Base], list[Row]]]:
        return [
            (Agency, self.agencies),
            (User, self.users),
            (Campaign, self.campaigns),
            (AgentMapping, self.agent_mappings),
            (CallBatch, self.call_batches),
            (CampaignContact, self.campaign_contacts),
            (CallLog, self.call_logs),
        ]

    def summary(self, *, inserted: bool) -> DemoSummary:
        return DemoSummary(
            agencies=len(self.agencies),
            batches=len(self.call_batches),
            contacts=len(self.campaign_contacts),
            call_logs=len(self.call_logs),
            inserted=inserted,
        )


def build_demo_rows() -> DemoRows:
    """Every row of the demo data set, identical on every call."""
    rows = DemoRows()
    phones = PhoneBook()
    for agency in AGENCIES:
        _add_agency(rows, agency, phones)
    rows.users.append(
        _user_row(DEMO_USER_WITHOUT_AGENCY_EMAIL, None, BASE_TIME - timedelta(days=2))
    )
    return rows


def _add_agency(rows: DemoRows, agency: AgencyPlan, phones: PhoneBook) -> None:
    created_at = BASE_TIME - timedelta(days=45)
    rows.agencies.append({"id": agency.id, "name": agency.name, "created_at": created_at})
    for index, email in enumerate(agency.user_emails):
        rows.users.append(_user_row(email, agency.id, created_at + timedelta(hours=index + 1)))
    for index, name in enumerate(agency.campaigns):
        rows.campaigns.append(
            _named_row(demo_id("campaign", agency.key, index), agency, name, created_at, index)
        )
    for index, name in enumerate(agency.agents):
        rows.agent_mappings.append(
            _named_row(demo_id("agent", agency.key, index), agency, name, created_at, index)
        )
    for index, plan in enumerate(agency.batches):
        _add_batch(rows, agency, index, plan, phones)


def _user_row(email: str, agency_id: uuid.UUID | None, created_at: datetime) -> Row:
    return {
        "id": demo_id("user", email),
        "agency_id": agency_id,
        "email": email,
        "created_at": created_at,
        "role": "operator" if email == DEMO_USER_EMAIL else "viewer",
    }


def _named_row(
    row_id: uuid.UUID, agency: AgencyPlan, name: str, agency_created_at: datetime, index: int
) -> Row:
    created_at = agency_created_at + timedelta(days=1, hours=index)
    return {"id": row_id, "agency_id": agency.id, "name": name, "created_at": created_at}


def _add_batch(
    rows: DemoRows, agency: AgencyPlan, index: int, plan: BatchPlan, phones: PhoneBook
) -> None:
    batch_key = f"{agency.key}:{index}"
    rng = random.Random(f"{SEED}:{batch_key}")
    created_at = BASE_TIME + timedelta(days=plan.day, minutes=rng.randrange(0, 8 * 60))
    calls_per_minute = rng.choice((10, 20, 30, 45, 60))
    started_at = None
    if plan.status in ("processing", "paused", "completed", "failed", "cancelled"):
        started_at = created_at + timedelta(minutes=rng.randint(2, 90))
    context = BatchContext(
        agency=agency,
        plan=plan,
        batch_id=demo_id("batch", batch_key),
        batch_key=batch_key,
        created_at=created_at,
        started_at=started_at,
        seconds_per_call=60 / calls_per_minute,
        max_attempts=rng.choice((2, 3, 3, 3, 5)),
        rng=rng,
        phones=phones,
    )
    max_concurrent = rng.choice((2, 3, 5, 8, 10))
    last_activity = started_at or created_at
    for position, phase in enumerate(_phases(plan, max_concurrent, rng)):
        contact, logs = contact_rows(context, position, phase)
        rows.campaign_contacts.append(contact)
        rows.call_logs.extend(logs)
        last_activity = max([last_activity, *(log["created_at"] for log in logs)])
    rows.call_batches.append(
        _batch_row(context, calls_per_minute, max_concurrent, _updated_at(plan, last_activity))
    )


def _updated_at(plan: BatchPlan, last_activity: datetime) -> datetime:
    if plan.status in ("paused", "failed", "cancelled"):
        return last_activity + timedelta(minutes=3)
    return last_activity


def _batch_row(
    context: BatchContext, calls_per_minute: int, max_concurrent: int, updated_at: datetime
) -> Row:
    agency, plan, rng = context.agency, context.plan, context.rng
    is_draft = plan.status == "pending"
    deleted_at = updated_at + timedelta(days=2, hours=3) if plan.deleted else None
    scheduled_for = None
    if plan.status == "scheduled":
        scheduled_for = (context.created_at + timedelta(days=5)).replace(hour=14, minute=0)
    return {
        "id": context.batch_id,
        "agency_id": agency.id,
        "campaign_id": _optional_id("campaign", agency, plan.campaign),
        "agent_mapping_id": _optional_id("agent", agency, plan.agent),
        "name": plan.name,
        "from_number": None if is_draft and plan.contacts == 0 else rng.choice(agency.from_numbers),
        "status": plan.status,
        "calls_per_minute": None if is_draft and rng.random() < 0.5 else calls_per_minute,
        "max_concurrent": None if is_draft and rng.random() < 0.5 else max_concurrent,
        "scheduled_for": scheduled_for,
        "created_at": context.created_at,
        "started_at": context.started_at,
        "updated_at": deleted_at or updated_at,
        "deleted_at": deleted_at,
    }


def _optional_id(kind: str, agency: AgencyPlan, index: int | None) -> uuid.UUID | None:
    return None if index is None else demo_id(kind, agency.key, index)


def _phases(plan: BatchPlan, max_concurrent: int, rng: random.Random) -> list[str]:
    """Where each contact stands in the dialing run, by position in the batch.

    `dialed` contacts have been called (and may wait for a retry), `dialing` ones are on the phone
    now, `queued` ones wait for the dialer, `waiting` ones were never queued and `cancelled` ones
    were dropped with the batch.
    """
    total = plan.contacts
    if plan.status in ("pending", "scheduled"):
        return ["waiting"] * total
    if plan.status == "completed":
        return ["dialed"] * total
    share_range = {
        "processing": (0.35, 0.7),
        "paused": (0.3, 0.6),
        "failed": (0.4, 0.7),
        "cancelled": (0.2, 0.4),
    }[plan.status]
    dialed = round(total * rng.uniform(*share_range))
    if plan.status == "processing":
        dialing = min(max_concurrent, total - dialed)
        return ["dialed"] * dialed + ["dialing"] * dialing + ["queued"] * (total - dialed - dialing)
    rest = {"paused": "queued", "failed": "waiting", "cancelled": "cancelled"}[plan.status]
    return ["dialed"] * dialed + [rest] * (total - dialed)

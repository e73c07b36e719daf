"""A deterministic demo data set: two agencies with their batches, contacts and call logs.

Every id is a `uuid5` of a fixed namespace, every timestamp an offset from `BASE_TIME` and every
random choice comes from a `random.Random` seeded per batch, so two loads produce identical rows.
The data covers every batch and contact status, and each contact's status agrees with its attempts,
outcome, durations and call logs (one log per attempt).

`load_demo_data` inserts the set inside the caller's transaction, once: when the demo agency already
exists it only reports the counts found in the database.
"""

# ruff: noqa: RUF001  (batch and agent display names deliberately use the en dash U+2013)

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

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

Row = dict[str, Any]

NAMESPACE: Final = uuid.UUID("3f6b2a52-8c1e-4d7a-9b0f-5e2d1c4a7b93")
SEED: Final = "callbatch-demo-v1"
BASE_TIME: Final = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
INSERT_CHUNK_SIZE: Final = 1000
ADVISORY_LOCK_KEY: Final = 0x43_414C_4C_44_454D  # "CALLDEM": serialises concurrent loaders
RETRY_INTERVAL: Final = timedelta(hours=2)


def demo_id(*parts: object) -> uuid.UUID:
    """The fixed id of a demo row, named by its parts (`demo_id("batch", "northwind", 3)`)."""
    return uuid.uuid5(NAMESPACE, ":".join(str(part) for part in parts))


DEMO_USER_EMAIL: Final = "demo@northwind-outreach.example"
DEMO_OTHER_AGENCY_USER_EMAIL: Final = "demo@bluebird-health.example"
DEMO_USER_WITHOUT_AGENCY_EMAIL: Final = "newcomer@example.com"

DEMO_AGENCY_ID: Final = demo_id("agency", "northwind")
DEMO_OTHER_AGENCY_ID: Final = demo_id("agency", "bluebird")
DEMO_AGENCY_IDS: Final = (DEMO_AGENCY_ID, DEMO_OTHER_AGENCY_ID)
DEMO_USER_ID: Final = demo_id("user", DEMO_USER_EMAIL)
DEMO_OTHER_AGENCY_USER_ID: Final = demo_id("user", DEMO_OTHER_AGENCY_USER_EMAIL)
DEMO_USER_WITHOUT_AGENCY_ID: Final = demo_id("user", DEMO_USER_WITHOUT_AGENCY_EMAIL)


@dataclass(frozen=True)
class DemoSummary:
    agencies: int
    batches: int
    contacts: int
    call_logs: int
    inserted: bool
    """False when the demo data was already there and nothing was written."""


# --- The plan: what each agency owns --------------------------------------------------------


@dataclass(frozen=True)
class BatchPlan:
    name: str
    status: str
    contacts: int
    day: int
    """Days after `BASE_TIME` on which the batch was created."""
    campaign: int | None = None
    agent: int | None = None
    region: str | None = None
    """Contacts all come from this region when set, from any region otherwise."""
    deleted: bool = False


@dataclass(frozen=True)
class AgencyPlan:
    key: str
    id: uuid.UUID
    name: str
    user_emails: tuple[str, ...]
    campaigns: tuple[str, ...]
    agents: tuple[str, ...]
    from_numbers: tuple[str, ...]
    topic: str
    """What the calls are about, as it reads in a transcript ("your policy renewal")."""
    plans: tuple[str, ...]
    company_share: float
    """Share of contacts that are businesses (with a company and a title)."""
    serves_patients: bool
    """Patients' `custom_data` names their clinic and language rather than a lead source."""
    batches: tuple[BatchPlan, ...]


NORTHWIND: Final = AgencyPlan(
    key="northwind",
    id=DEMO_AGENCY_ID,
    name="Northwind Outreach",
    user_emails=(DEMO_USER_EMAIL, "ops@northwind-outreach.example"),
    campaigns=("Policy Renewals 2025", "Open Enrollment", "Growth & Win-back"),
    agents=("Ava – Renewals Agent", "Max – Retention Agent", "Sales Agent"),
    from_numbers=("+14155550142", "+12125550187"),
    topic="your policy renewal",
    plans=("Bronze", "Silver", "Gold", "Platinum"),
    company_share=0.8,
    serves_patients=False,
    batches=(
        BatchPlan("Q1 Renewals – West", "completed", 240, 0, 0, 0, "West"),
        BatchPlan("Q1 Renewals – East", "completed", 220, 1, 0, 1, "East"),
        BatchPlan("Q1 Renewals – Central", "failed", 120, 2, 0, 0, "Central"),
        BatchPlan("New Year Policy Review", "completed", 160, 5, 1, 2),
        BatchPlan("Lapsed Customers Win-back", "cancelled", 90, 12, 2, None),
        BatchPlan("February Payment Reminders", "completed", 180, 26, None, 1),
        BatchPlan("Spring Open Enrollment – Wave 1", "completed", 200, 55, 1, 0),
        BatchPlan("Spring Open Enrollment – Wave 2", "paused", 150, 62, 1, 0),
        BatchPlan("Customer Satisfaction Survey", "completed", 110, 75),
        BatchPlan("Q2 Renewals – West", "processing", 260, 85, 0, 0, "West"),
        BatchPlan("Q2 Renewals – East", "processing", 180, 86, 0, 1, "East"),
        BatchPlan("Test Upload – Do Not Use", "pending", 25, 90, deleted=True),
        BatchPlan("Marketing Campaign May 2025", "processing", 150, 115, 2, 2),
        BatchPlan("Appointment Confirmations – May", "failed", 60, 118, None, 1),
        BatchPlan("Webinar Follow-up", "paused", 80, 125, 2, None),
        BatchPlan("Sales Outreach June 2025", "scheduled", 200, 146, 2, 2),
        BatchPlan("Q3 Renewals – West", "scheduled", 120, 150, 0, 0, "West"),
        BatchPlan("Referral Program Invitations", "pending", 90, 152, 2, None),
        BatchPlan("Draft – VIP Accounts", "pending", 0, 154),
        BatchPlan("Summer Wellness Check-ins", "pending", 60, 155, 1, 1),
    ),
)

BLUEBIRD: Final = AgencyPlan(
    key="bluebird",
    id=DEMO_OTHER_AGENCY_ID,
    name="Bluebird Health",
    user_emails=(DEMO_OTHER_AGENCY_USER_EMAIL, "manager@bluebird-health.example"),
    campaigns=("Preventive Care", "Patient Experience", "Care Coordination"),
    agents=("Nora – Care Coordinator", "Scheduling Assistant"),
    from_numbers=("+16175550123",),
    topic="your upcoming appointment",
    plans=("PPO", "HMO", "Medicare Advantage", "Medicaid"),
    company_share=0.1,
    serves_patients=True,
    batches=(
        BatchPlan("Annual Check-up Reminders – January", "completed", 150, 3, 0, 1),
        BatchPlan("Flu Shot Outreach", "completed", 120, 10, 0, 0),
        BatchPlan("Lab Results Follow-up", "failed", 40, 20, 2, 0),
        BatchPlan("Patient Satisfaction Survey Q1", "completed", 100, 40, 1, None),
        BatchPlan("Telehealth Onboarding", "processing", 130, 70, 2, 0),
        BatchPlan("Old Import – Duplicates", "cancelled", 30, 72, deleted=True),
        BatchPlan("Missed Appointment Recovery", "paused", 70, 95, 2, 1),
        BatchPlan("Prescription Refill Reminders", "processing", 90, 120, None, 1),
        BatchPlan("Annual Check-up Reminders – July", "scheduled", 110, 150, 0, 1),
        BatchPlan("New Patient Welcome Calls", "pending", 50, 156),
    ),
)

AGENCIES: Final = (NORTHWIND, BLUEBIRD)

REGIONS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "West": (
        ("213", "America/Los_Angeles"),
        ("415", "America/Los_Angeles"),
        ("206", "America/Los_Angeles"),
        ("503", "America/Los_Angeles"),
    ),
    "Mountain": (("303", "America/Denver"), ("602", "America/Phoenix")),
    "Central": (("312", "America/Chicago"), ("214", "America/Chicago"), ("612", "America/Chicago")),
    "East": (
        ("212", "America/New_York"),
        ("617", "America/New_York"),
        ("305", "America/New_York"),
        ("404", "America/New_York"),
    ),
}

FIRST_NAMES: Final = (
    "Emily", "James", "Olivia", "Liam", "Sophia", "Noah", "Ava", "Ethan", "Mia", "Lucas",
    "Isabella", "Mason", "Charlotte", "Logan", "Amelia", "Elijah", "Harper", "Aiden", "Evelyn",
    "Carlos", "Priya", "Wei", "Fatima", "Diego", "Hannah", "Omar", "Grace", "Mateo", "Chloe",
    "Daniel", "Zoe", "Samuel", "Aaliyah", "Benjamin", "Nora", "Raj", "Lucia", "Kenji",
)  # fmt: skip
LAST_NAMES: Final = (
    "Davis", "Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Martinez", "Lopez",
    "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Nguyen",
    "Patel", "Kim", "Chen", "Walker", "Hall", "Young", "Allen", "O'Connor", "Rivera", "Singh",
    "Campbell", "Mitchell", "Roberts", "Carter", "Okafor", "Schmidt", "Rossi", "Tanaka",
)  # fmt: skip
COMPANIES: Final = (
    "Acme Logistics", "Globex", "Initech", "Umbrella Foods", "Stark Supply", "Wayne Dental",
    "Hooli", "Vandelay Imports", "Pied Piper", "Soylent Farms", "Cyberdyne Labs", "Wonka Sweets",
    "Oceanic Freight", "Blue Ridge Builders", "Summit Realty", "Redwood Clinics",
)  # fmt: skip
TITLES: Final = (
    "Owner", "Office Manager", "Operations Manager", "CFO", "Procurement Lead", "HR Director",
    "Practice Manager", "Account Executive", "Facilities Manager", "VP Finance",
)  # fmt: skip
PERSONAL_EMAIL_DOMAINS: Final = ("mail.example", "inbox.example", "post.example")
LEAD_SOURCES: Final = ("Website", "Referral", "Webinar", "Trade Show", "Partner")
CLINICS: Final = ("Downtown", "Northside", "Lakeview", "Riverside")
LANGUAGES: Final = ("English", "Spanish", "Mandarin", "Vietnamese")


# --- Call simulation ----------------------------------------------------------------------------

CONNECTED_RESULTS: Final = frozenset({"answered", "voicemail", "declined"})
CALL_STATUS_OF_RESULT: Final = {
    "answered": "completed",
    "declined": "completed",
    "voicemail": "voicemail",
    "no_answer": "no-answer",
    "busy": "busy",
    "invalid_number": "failed",
    "in_progress": "in-progress",
}
FIRST_ATTEMPT_WEIGHTS: Final = {
    "answered": 52,
    "voicemail": 14,
    "declined": 4,
    "no_answer": 20,
    "busy": 7,
    "invalid_number": 3,
}
RETRY_WEIGHTS: Final = {"answered": 45, "voicemail": 20, "declined": 3, "no_answer": 24, "busy": 8}
CALL_DURATION_RANGES: Final = {"answered": (40, 420), "declined": (8, 30), "voicemail": (18, 55)}

DO_NOT_CALL_NOTE: Final = "On the do-not-call list"
CANCELLED_NOTE: Final = "Batch cancelled before this contact was dialed"
INVALID_NUMBER_NOTE: Final = "Number not in service"
VOICEMAIL_NOTE: Final = "Left a voicemail"


@dataclass(frozen=True)
class Conversation:
    transcript: str
    note: str | None


ANSWERED_CONVERSATIONS: Final = (
    Conversation(
        "Agent: Hi {first}, this is {agency} calling about {topic}.\n"
        "Contact: Hi, sure, I have a minute.\n"
        "Agent: Everything is ready on our side; can I confirm the details we have on file?\n"
        "Contact: Yes, that all looks right. Thanks for calling.",
        "Confirmed, no changes needed",
    ),
    Conversation(
        "Agent: Hello {first}, {agency} here about {topic}.\n"
        "Contact: I'm driving right now, can you call me back next week?\n"
        "Agent: Of course, I'll schedule a callback. Have a good day.",
        "Asked for a callback next week",
    ),
    Conversation(
        "Agent: Hi {first}, I'm calling from {agency} about {topic}.\n"
        "Contact: Could you send me the details by email?\n"
        "Agent: Absolutely, you'll have them within the hour.",
        "Requested details by email",
    ),
    Conversation(
        "Agent: Good morning {first}, this is {agency} following up on {topic}.\n"
        "Contact: Great timing, I had a question about the cost.\n"
        "Agent: Happy to help; let me walk you through the options.\n"
        "Contact: Perfect, let's go with the second one.",
        "Interested, follow-up booked",
    ),
    Conversation(
        "Agent: Hi {first}, {agency} calling about {topic}.\n"
        "Contact: Thanks, I already took care of it online.\n"
        "Agent: Wonderful, then you're all set.",
        None,
    ),
)
DECLINED_CONVERSATION: Final = Conversation(
    "Agent: Hi {first}, this is {agency} calling about {topic}.\n"
    "Contact: I'm not interested, please don't call me again.\n"
    "Agent: Understood, sorry to bother you.",
    "Not interested",
)


@dataclass(frozen=True)
class Attempt:
    result: str
    """An outcome (`answered`, `no_answer`, …) or `in_progress` for the call still running."""
    at: datetime
    duration: int | None
    conversation: Conversation | None = None

    @property
    def ended_at(self) -> datetime:
        return self.at + timedelta(seconds=self.duration or 0)


@dataclass(frozen=True)
class ContactHistory:
    status: str
    attempts: tuple[Attempt, ...] = ()
    outcome: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str | None
    company: str | None
    title: str | None
    phone_number: str
    timezone: str | None
    account_id: str | None
    priority: str
    do_not_call: bool
    custom_data: dict[str, str]


@dataclass
class PhoneBook:
    """Hands out E.164 numbers, never the same one twice."""

    issued: set[str] = field(default_factory=set)

    def issue(self, rng: random.Random, area_code: str) -> str:
        while True:
            number = f"+1{area_code}{rng.randint(201, 989)}{rng.randint(0, 9999):04d}"
            if number not in self.issued:
                self.issued.add(number)
                return number


@dataclass(frozen=True)
class BatchContext:
    agency: AgencyPlan
    plan: BatchPlan
    batch_id: uuid.UUID
    batch_key: str
    created_at: datetime
    started_at: datetime | None
    seconds_per_call: float
    max_attempts: int
    rng: random.Random
    phones: PhoneBook

    @property
    def awaits_retries(self) -> bool:
        return self.plan.status in ("processing", "paused")

    def dial_time(self, position: int) -> datetime:
        assert self.started_at is not None
        return self.started_at + timedelta(seconds=round(position * self.seconds_per_call))


# --- Building the rows --------------------------------------------------------------------------


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
        contact, logs = _contact_rows(context, position, phase)
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


def _contact_rows(context: BatchContext, position: int, phase: str) -> tuple[Row, list[Row]]:
    contact_id = demo_id("contact", context.batch_key, position)
    person = _person(context)
    history = _history(context, position, phase, person.do_not_call)
    logs = [
        _call_log_row(context, contact_id, number, attempt, person)
        for number, attempt in enumerate(history.attempts, start=1)
    ]
    last = history.attempts[-1] if history.attempts else None
    duration, completed_at = _completion(history)
    contact = {
        "id": contact_id,
        "batch_id": context.batch_id,
        "agency_id": context.agency.id,
        "phone_number": person.phone_number,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "company": person.company,
        "title": person.title,
        "account_id": person.account_id,
        "priority": person.priority,
        "status": history.status,
        "call_id": logs[-1]["id"] if logs else None,
        "attempts": len(history.attempts),
        "max_attempts": context.max_attempts,
        "outcome": history.outcome,
        "duration_seconds": duration,
        "outcome_notes": history.notes,
        "last_attempt_at": last.at if last else None,
        "completed_at": completed_at,
        "custom_data": person.custom_data,
        "do_not_call": person.do_not_call,
        "timezone": person.timezone,
        "created_at": context.created_at + timedelta(milliseconds=position),
    }
    return contact, logs


def _completion(history: ContactHistory) -> tuple[int | None, datetime | None]:
    """A contact's `duration_seconds` and `completed_at`: its last call's, once completed."""
    if history.status != "completed":
        return None, None
    last = history.attempts[-1]
    return last.duration, last.ended_at


def _person(context: BatchContext) -> Person:
    rng, agency = context.rng, context.agency
    first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    region = context.plan.region or rng.choice(tuple(REGIONS))
    area_code, timezone = rng.choice(REGIONS[region])
    is_business = rng.random() < agency.company_share
    company = rng.choice(COMPANIES) if is_business else None
    return Person(
        first_name=first_name,
        last_name=last_name,
        email=_email(rng, first_name, last_name, company),
        company=company,
        title=rng.choice(TITLES) if is_business else None,
        phone_number=context.phones.issue(rng, area_code),
        timezone=timezone if rng.random() < 0.95 else None,
        account_id=f"ACC-{rng.randint(1000, 99999)}" if rng.random() < 0.9 else None,
        priority=rng.choices(("low", "normal", "high"), weights=(2, 6, 2))[0],
        do_not_call=rng.random() < 0.03,
        custom_data=_custom_data(rng, agency, region),
    )


def _email(rng: random.Random, first_name: str, last_name: str, company: str | None) -> str | None:
    if rng.random() < 0.1:
        return None
    local = ".".join("".join(ch for ch in name if ch.isalnum()) for name in (first_name, last_name))
    if company:
        domain = "".join(ch for ch in company.lower() if ch.isalnum()) + ".example"
    else:
        domain = rng.choice(PERSONAL_EMAIL_DOMAINS)
    return f"{local.lower()}@{domain}"


def _custom_data(rng: random.Random, agency: AgencyPlan, region: str) -> dict[str, str]:
    if rng.random() < 0.05:
        return {}
    data = {
        "plan": rng.choice(agency.plans),
        "region": region,
        "crm_id": f"CRM-{rng.randint(1000, 9999)}",
    }
    if agency.serves_patients:
        data["clinic"] = rng.choice(CLINICS)
        if rng.random() < 0.25:
            data["preferred_language"] = rng.choice(LANGUAGES)
    elif rng.random() < 0.4:
        data["source"] = rng.choice(LEAD_SOURCES)
    return data


def _history(context: BatchContext, position: int, phase: str, do_not_call: bool) -> ContactHistory:
    if phase == "waiting":
        return ContactHistory("pending")
    if do_not_call:
        return ContactHistory("skipped", notes=DO_NOT_CALL_NOTE)
    if phase == "queued":
        return ContactHistory("queued")
    if phase == "cancelled":
        return ContactHistory("skipped", notes=CANCELLED_NOTE)
    first_at = context.dial_time(position)
    if phase == "dialing":
        return ContactHistory("in_progress", (Attempt("in_progress", first_at, None),))
    return _dial(context, first_at)


def _dial(context: BatchContext, first_at: datetime) -> ContactHistory:
    """Calls a contact until it connects, the number turns out invalid or attempts run out."""
    rng = context.rng
    attempts: list[Attempt] = []
    for number in range(context.max_attempts):
        attempt = _attempt(rng, first_at + number * RETRY_INTERVAL, is_first=number == 0)
        attempts.append(attempt)
        if attempt.result in CONNECTED_RESULTS:
            return ContactHistory("completed", tuple(attempts), attempt.result, _note(attempt))
        if attempt.result == "invalid_number":
            return ContactHistory("failed", tuple(attempts), attempt.result, INVALID_NUMBER_NOTE)
        has_retries_left = number + 1 < context.max_attempts
        if has_retries_left and context.awaits_retries and rng.random() < 0.35:
            return ContactHistory("queued", tuple(attempts), attempt.result)
    last = attempts[-1]
    return ContactHistory("failed", tuple(attempts), last.result, _exhausted_note(last, attempts))


def _attempt(rng: random.Random, at: datetime, *, is_first: bool) -> Attempt:
    weights = FIRST_ATTEMPT_WEIGHTS if is_first else RETRY_WEIGHTS
    result = rng.choices(tuple(weights), weights=tuple(weights.values()))[0]
    duration_range = CALL_DURATION_RANGES.get(result)
    duration = rng.randint(*duration_range) if duration_range else 0
    conversation = None
    if result == "answered":
        conversation = rng.choice(ANSWERED_CONVERSATIONS)
    elif result == "declined":
        conversation = DECLINED_CONVERSATION
    return Attempt(result, at, duration, conversation)


def _note(attempt: Attempt) -> str | None:
    if attempt.conversation is not None:
        return attempt.conversation.note
    return VOICEMAIL_NOTE if attempt.result == "voicemail" else None


def _exhausted_note(last: Attempt, attempts: Sequence[Attempt]) -> str:
    if last.result == "busy":
        return f"Line busy on the last attempt ({len(attempts)} attempts)"
    return f"No answer after {len(attempts)} attempts"


def _call_log_row(
    context: BatchContext, contact_id: uuid.UUID, number: int, attempt: Attempt, person: Person
) -> Row:
    log_id = demo_id("call-log", contact_id, number)
    transcript = None
    if attempt.conversation is not None:
        transcript = attempt.conversation.transcript.format(
            first=person.first_name, agency=context.agency.name, topic=context.agency.topic
        )
    connected = attempt.result in CONNECTED_RESULTS
    return {
        "id": log_id,
        "contact_id": contact_id,
        "agency_id": context.agency.id,
        "call_status": CALL_STATUS_OF_RESULT[attempt.result],
        "duration_seconds": attempt.duration,
        "recording_url": f"https://recordings.example.com/{log_id}.mp3" if connected else None,
        "transcript": transcript,
        "created_at": attempt.at,
    }


# --- Loading ------------------------------------------------------------------------------------


async def load_demo_data(connection: AsyncConnection) -> DemoSummary:
    """Idempotent: loads the demo data set when it is absent, does nothing when it is present.

    Runs in the caller's transaction and neither begins nor commits one. A transaction-scoped
    advisory lock keeps two processes starting at once from both inserting.
    """
    await connection.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
    if await _demo_agency_exists(connection):
        return await _count_demo_rows(connection)
    rows = build_demo_rows()
    for model, table_rows in rows.in_insert_order():
        await _insert_in_chunks(connection, _table_of(model), table_rows)
    return rows.summary(inserted=True)


async def _demo_agency_exists(connection: AsyncConnection) -> bool:
    agencies = _table_of(Agency)
    found = await connection.scalar(select(agencies.c.id).where(agencies.c.id == DEMO_AGENCY_ID))
    return found is not None


async def _count_demo_rows(connection: AsyncConnection) -> DemoSummary:
    counts = [
        select(func.count())
        .select_from(table)
        .where(table.c.agency_id.in_(DEMO_AGENCY_IDS))
        .scalar_subquery()
        for table in map(_table_of, (CallBatch, CampaignContact, CallLog))
    ]
    agencies = _table_of(Agency)
    agency_count = (
        select(func.count())
        .select_from(agencies)
        .where(agencies.c.id.in_(DEMO_AGENCY_IDS))
        .scalar_subquery()
    )
    row = (await connection.execute(select(agency_count, *counts))).one()
    return DemoSummary(
        agencies=row[0], batches=row[1], contacts=row[2], call_logs=row[3], inserted=False
    )


@dataclass(frozen=True)
class DemoUserView:
    """What the printed demo user sees through the API: its own agency's live batches."""

    agency: str
    batches: int
    contacts: int


async def demo_user_view(connection: AsyncConnection) -> DemoUserView:
    batches, contacts = _table_of(CallBatch), _table_of(CampaignContact)
    live = select(batches.c.id).where(
        batches.c.agency_id == DEMO_AGENCY_ID, batches.c.deleted_at.is_(None)
    )
    batch_count = select(func.count()).select_from(live.subquery()).scalar_subquery()
    contact_count = (
        select(func.count())
        .select_from(contacts)
        .where(contacts.c.agency_id == DEMO_AGENCY_ID, contacts.c.batch_id.in_(live))
        .scalar_subquery()
    )
    row = (await connection.execute(select(batch_count, contact_count))).one()
    return DemoUserView(agency=NORTHWIND.name, batches=row[0], contacts=row[1])


async def _insert_in_chunks(connection: AsyncConnection, table: Table, rows: list[Row]) -> None:
    for start in range(0, len(rows), INSERT_CHUNK_SIZE):
        await connection.execute(insert(table), rows[start : start + INSERT_CHUNK_SIZE])


def _table_of(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table

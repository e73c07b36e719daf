"""A deterministic demo data set: two agencies with their batches, contacts and call logs.

Every id is a `uuid5` of a fixed namespace, every timestamp an offset from `BASE_TIME` and every
random choice comes from a `random.Random` seeded per batch, so two loads produce identical rows.
The data covers every batch and contact status, and each contact's status agrees with its attempts,
outcome, durations and call logs (one log per attempt).

This module holds the plan: fixed ids, the agencies and their batches, the names, weights and
notes the rows are drawn from. `rows.py` and `contacts.py` build the rows, `load.py` inserts them.
"""

# ruff: noqa: RUF001  (batch and agent display names deliberately use the en dash U+2013)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

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

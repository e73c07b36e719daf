"""The contacts of one demo batch: who they are, how their calls went, and their call logs."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from demo.plan import (
    ANSWERED_CONVERSATIONS,
    CALL_DURATION_RANGES,
    CALL_STATUS_OF_RESULT,
    CANCELLED_NOTE,
    CLINICS,
    COMPANIES,
    CONNECTED_RESULTS,
    DECLINED_CONVERSATION,
    DO_NOT_CALL_NOTE,
    FIRST_ATTEMPT_WEIGHTS,
    FIRST_NAMES,
    INVALID_NUMBER_NOTE,
    LANGUAGES,
    LAST_NAMES,
    LEAD_SOURCES,
    PERSONAL_EMAIL_DOMAINS,
    REGIONS,
    RETRY_INTERVAL,
    RETRY_WEIGHTS,
    TITLES,
    VOICEMAIL_NOTE,
    AgencyPlan,
    BatchPlan,
    Conversation,
    Row,
    demo_id,
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


def contact_rows(context: BatchContext, position: int, phase: str) -> tuple[Row, list[Row]]:
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

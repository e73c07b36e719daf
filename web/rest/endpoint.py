"""What every REST endpoint does around its own work: method check, authentication, one
`RequestDatabase` per request, and turning any failure into that API's error body.

Failures are answered like the GraphQL endpoint answers them: domain errors with their status,
database faults as 503 (`schema.errors.domain_error_for`), and anything else as a generic 500 that
names the request id and is logged in full under it, never showing SQL or a stack trace.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from core.errors import DomainError
from core.pagination import Window
from db.contacts import ContactFilter
from db.tenancy import RequestDatabase
from schema.errors import domain_error_for
from schema.limits.rows_read import RowsRead, admit_read, contacts_list_scans, list_rows_read
from web.auth import Principal, authenticate
from web.observability.exchange import CLIENT_CLOSED_REQUEST
from web.request_guard import ClientDisconnected, log_disconnect, within_deadline
from web.request_record import REQUEST_ID_HEADER, new_request_id, sane_request_id
from web.state import AppState

logger = logging.getLogger("callbatch.rest")

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
"""Methods routed to REST endpoints, so that all but GET get the API's own 405 body."""


class MethodNotAllowed(DomainError):
    code = "METHOD_NOT_ALLOWED"
    http_status = 405
    headers: dict[str, str] = {"Allow": "GET"}


@dataclass(frozen=True)
class RestCall:
    request: Request
    principal: Principal
    db: RequestDatabase
    request_id: str
    rows_read: RowsRead
    """What this request's pages may make PostgreSQL read, as for GraphQL (`MAX_ROWS_READ`)."""


async def admit_contacts_page(
    call: RestCall,
    session: AsyncSession,
    total_contacts: int,
    window: Window,
    contact_filter: ContactFilter,
    sort_fields: int = 0,
) -> None:
    """Before a page of a batch's contacts is read: charge it against the request's rows-read
    account and take the agency's turn when it is large, as GraphQL's contacts lists do."""
    scans = contacts_list_scans(None, contact_filter != ContactFilter(), sort_fields)
    await admit_read(
        call.rows_read,
        session,
        call.principal.agency_id,
        list_rows_read(total_contacts, window, scans),
        "this page of contacts",
    )


Handler = Callable[[RestCall], Awaitable[Response]]
ErrorRenderer = Callable[[DomainError], Response]


def internal_error(request_id: str) -> DomainError:
    return DomainError(f"Internal server error. Quote request id {request_id} when reporting it.")


def rest_endpoint(
    handler: Handler, render_error: ErrorRenderer
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = sane_request_id(given) or new_request_id()
        response = await _answer(request, request_id, handler, render_error)
        if request_id != given:
            # Echoed here only when nothing upstream (the observability middleware) named the
            # request: that middleware echoes the id it put in the request's headers itself.
            response.headers[REQUEST_ID_HEADER] = request_id
        return response

    return endpoint


async def _answer(
    request: Request, request_id: str, handler: Handler, render_error: ErrorRenderer
) -> Response:
    if request.method != "GET":
        return render_error(MethodNotAllowed(f"{request.method} is not allowed here; use GET"))
    state: AppState = request.app.state.app
    try:
        user_id = state.tokens.user(request.headers.get("authorization"))
        state.fair_share.admit(state.fair_share.lane_for(user_id))
        return await within_deadline(
            lambda: _within_share(request, request_id, handler, state, user_id),
            request.receive,
            state.settings.request_deadline_seconds,
        )
    except ClientDisconnected:
        log_disconnect(request.url.path, request_id)
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    except Exception as raised:
        return render_error(_classified(raised, request_id))


async def _within_share(
    request: Request, request_id: str, handler: Handler, state: AppState, user_id: uuid.UUID
) -> Response:
    fair_share = state.fair_share
    async with fair_share.slot(fair_share.lane_for(user_id)):
        principal = await authenticate(user_id, state.sessions)
        fair_share.remember(principal.user_id, principal.agency_id)
        db = RequestDatabase(
            state.read_sessions,
            agency_id=principal.agency_id,
            user_id=principal.user_id,
            statement_timeout_ms=state.settings.request_statement_timeout_ms,
        )
        call = RestCall(request, principal, db, request_id, state.rows_read())
        try:
            return await handler(call)
        finally:
            fair_share.charge_rows(principal.agency_id, call.rows_read.charged)
            await _close(db, request_id)


def _classified(raised: Exception, request_id: str) -> DomainError:
    error = domain_error_for(raised)
    if error is None:
        logger.error(
            "unexpected error (request %s)",
            request_id,
            exc_info=(type(raised), raised, raised.__traceback__),
        )
        return internal_error(request_id)
    if not isinstance(raised, DomainError):
        logger.warning("database fault (request %s): %r", request_id, raised)
    return error


async def _close(db: RequestDatabase, request_id: str) -> None:
    """Release the request's session; the answer is already decided, so a failure here (the
    database went away mid-request) is logged, not sent."""
    try:
        await db.close()
    except Exception as raised:
        logger.warning("closing the request's session failed (request %s): %r", request_id, raised)

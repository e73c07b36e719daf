"""The `/graphql` endpoint: authenticate, open the request's database scope, run Strawberry."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import orjson
import strawberry
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult

from db.tenancy import RequestDatabase
from schema.context import Context
from schema.errors import (
    INTERNAL_MESSAGE,
    UNAVAILABLE_CODES,
    BadRequest,
    DomainError,
    domain_error_for,
    error_body,
    masked_unless_coded,
)
from schema.pagination import CursorCodec
from web.auth import authenticate, sign_in
from web.graphiql import GraphiQLPage
from web.media_types import drop_data_of_request_error, is_request_error
from web.state import AppState

logger = logging.getLogger("callbatch.errors")

_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def _request_id(request: Request) -> str:
    """The client's X-Request-ID when it is a plain token, else a new one (it goes into logs)."""
    given = request.headers.get("x-request-id", "")
    return given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


MAX_BODY_BYTES = 1024 * 1024
"""Far above any real request (queries stop at 100,000 characters), far below a memory problem."""


class _BodyTooLarge(Exception):
    pass


def _bounded(receive: Receive, limit: int) -> Receive:
    """`receive` that fails once the request body grows past `limit` bytes (chunked or not)."""
    received = 0

    async def bounded_receive() -> Any:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge
        return message

    return bounded_receive


def _wants_graphiql(request: Request) -> bool:
    return (
        request.method == "GET"
        and "query" not in request.query_params
        and "text/html" in request.headers.get("accept", "")
    )


class GraphQLEndpoint(GraphQL[Context, None]):
    def __init__(self, schema: strawberry.Schema) -> None:
        super().__init__(schema, graphql_ide="graphiql")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await Response(status_code=404)(scope, receive, send)
            return
        request = Request(scope, _bounded(receive, MAX_BODY_BYTES))
        if _wants_graphiql(request):
            await (await self.render_graphql_ide(request))(scope, receive, send)
            return
        request_id = _request_id(request)
        state: AppState = request.app.state.app
        authorization = request.headers.get("authorization")
        timeout_ms = state.settings.db_statement_timeout_ms
        db = RequestDatabase(state.read_sessions, statement_timeout_ms=timeout_ms)
        try:
            try:
                if state.read_engine is state.engine:
                    principal = await sign_in(authorization, state.jwt_secret, db)
                else:
                    # With a read replica the sign-in lookup stays on the primary (see
                    # docs/OPERATIONS.md): its own short transaction, then the request's scope.
                    principal = await authenticate(authorization, state.jwt_secret, state.sessions)
                    db = RequestDatabase(
                        state.read_sessions,
                        agency_id=principal.agency_id,
                        user_id=principal.user_id,
                        statement_timeout_ms=timeout_ms,
                    )
            except Exception as raised:
                await self._refuse(raised, request_id, scope, receive, send)
                return
            request.state.graphql_context = Context(
                db=db,
                user_id=principal.user_id,
                agency_id=principal.agency_id,
                request_id=request_id,
                cursors=CursorCodec(state.cursor_key),
            )
            await self._respond(request, scope, receive, send)
        finally:
            await db.close()

    @staticmethod
    async def _refuse(
        raised: Exception, request_id: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        error = domain_error_for(raised)
        if error is None:
            logger.error(
                "unexpected error authenticating (request %s)", request_id, exc_info=raised
            )
            error = DomainError(INTERNAL_MESSAGE)
        refusal = JSONResponse(error_body(error, request_id), status_code=error.http_status)
        await refusal(scope, receive, send)

    async def _respond(self, request: Request, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry's handling, its plain-text refusals (not JSON, no query) as GraphQL bodies."""
        response: Response
        try:
            response = await self.run(request)
        except HTTPException as refused:
            response = JSONResponse(
                error_body(BadRequest(refused.reason)), status_code=refused.status_code
            )
        except _BodyTooLarge:
            too_large = BadRequest(f"the request body is larger than {MAX_BODY_BYTES} bytes")
            response = JSONResponse(error_body(too_large), status_code=413)
        await response(scope, receive, send)

    async def render_graphql_ide(self, request: Request) -> Response:
        page: GraphiQLPage = request.app.state.graphiql
        return page.render(request)

    async def get_context(self, request: Any, response: Any) -> Context:
        context: Context = request.state.graphql_context
        return context

    async def process_result(self, request: Request, result: ExecutionResult) -> Any:
        request_error = is_request_error(result.data, result.errors)
        if result.errors:
            context: Context = request.state.graphql_context
            result.errors = masked_unless_coded(result.errors, context.request_id)
        body = await super().process_result(request, result)
        return drop_data_of_request_error(request, body) if request_error else body

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        """HTTP 503 when the database failed the request, so load balancers and clients retry."""
        response = super().create_response(response_data, sub_response)
        errors = response_data.get("errors") if isinstance(response_data, dict) else None
        if errors and any(
            (e.get("extensions") or {}).get("code") in UNAVAILABLE_CODES for e in errors
        ):
            response.status_code = 503
        return response

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

"""The `/graphql` endpoint: authenticate, open the request's database scope, run Strawberry."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs

import orjson
import strawberry
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult

from core.errors import UNAVAILABLE_CODES, BadRequest, DomainError
from db.tenancy import AgencyWriter, RequestDatabase
from schema.context import Context
from schema.errors import (
    INTERNAL_MESSAGE,
    domain_error_for,
    error_body,
    masked_unless_coded,
)
from schema.pagination import CursorCodec
from web.auth import authenticate, sign_in
from web.graphql_operation import graphql_operation_name, parse_within_limits
from web.request_record import RequestRecord, record_of, request_id_of
from web.state import AppState

logger = logging.getLogger("callbatch.errors")

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
        record = record_of(request) or RequestRecord(request_id_of(request))
        if _wants_graphiql(request):
            record.operation = "graphiql"
            await (await self.render_graphql_ide(request))(scope, receive, send)
            return
        request_id = record.request_id
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
                await self._record_operation(request, record)
                await self._refuse(raised, record, scope, receive, send)
                return
            request.state.graphql_context = Context(
                db=db,
                user_id=principal.user_id,
                agency_id=principal.agency_id,
                request_id=request_id,
                cursors=CursorCodec(state.cursor_key),
                writer=AgencyWriter(
                    state.sessions,
                    agency_id=principal.agency_id,
                    user_id=principal.user_id,
                    statement_timeout_ms=timeout_ms,
                ),
            )
            await self._respond(request, record, scope, receive, send)
        finally:
            await db.close()

    @staticmethod
    async def _refuse(
        raised: Exception, record: RequestRecord, scope: Scope, receive: Receive, send: Send
    ) -> None:
        request_id = record.request_id
        error = domain_error_for(raised)
        if error is None:
            logger.error(
                "unexpected error authenticating (request %s)", request_id, exc_info=raised
            )
            error = DomainError(INTERNAL_MESSAGE)
        record.add_error_codes([error.code])
        refusal = JSONResponse(error_body(error, request_id), status_code=error.http_status)
        await refusal(scope, receive, send)

    async def _respond(
        self, request: Request, record: RequestRecord, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Strawberry's handling, its plain-text refusals (not JSON, no query) as GraphQL bodies."""
        response: Response
        try:
            response = await self.run(request)
        except HTTPException as refused:
            bad_request = BadRequest(refused.reason)
            record.add_error_codes([bad_request.code])
            response = JSONResponse(error_body(bad_request), status_code=refused.status_code)
        except _BodyTooLarge:
            too_large = BadRequest(f"the request body is larger than {MAX_BODY_BYTES} bytes")
            record.add_error_codes([too_large.code])
            response = JSONResponse(error_body(too_large), status_code=413)
        await self._record_operation(request, record)
        await response(scope, receive, send)

    async def _record_operation(self, request: Request, record: RequestRecord) -> None:
        """Name the operation on the request's record (before answering: once the response is
        sent, the server may no longer hand over the body)."""
        if request.method == "GET":
            params = parse_qs(request.scope.get("query_string", b"").decode("latin-1"))
            if not params:
                record.operation = "graphiql"
                return
            data: Any = {key: values[0] for key, values in params.items()}
        else:
            try:
                data = orjson.loads(await request.body()) if request.method == "POST" else None
            except Exception:
                data = None
        checks = getattr(self.schema, "limit_checks", None)
        parse = checks.parse if checks is not None else parse_within_limits
        record.operation = graphql_operation_name(data, parse)

    async def get_context(self, request: Any, response: Any) -> Context:
        context: Context = request.state.graphql_context
        return context

    async def process_result(self, request: Request, result: ExecutionResult) -> Any:
        if result.errors:
            context: Context = request.state.graphql_context
            result.errors = masked_unless_coded(result.errors, context.request_id)
            record = record_of(request)
            if record is not None:
                record.add_error_codes((e.extensions or {}).get("code") for e in result.errors)
        return await super().process_result(request, result)

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

"""The `/graphql` endpoint: read the body, check the token, then within the request's deadline
and its agency's fair share open the request's database scope and run Strawberry."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult

from core.errors import UNAVAILABLE_CODES, BadRequest, DomainError, PayloadTooLarge
from core.settings import Settings
from db.tenancy import NotAMember, RequestDatabase
from schema import CallBatchSchema
from schema.compiled.reads import CompiledReads
from schema.context import Context
from schema.errors import INTERNAL_MESSAGE, domain_error_for, error_body, masked_unless_coded
from schema.limits.rows_read import RowsRead
from schema.pagination import CursorCodec
from web.auth import Principal, authenticate, sign_in, sign_in_as_member
from web.graphiql import GraphiQLPage
from web.graphql_operation import graphql_operation_name
from web.media_types import drop_data_of_request_error, is_request_error
from web.request_guard import (
    ClientDisconnected,
    declared_length,
    log_disconnect,
    read_body,
    replaying,
    within_deadline,
)
from web.request_record import RequestRecord, record_of, request_id_of
from web.state import AppState

logger = logging.getLogger("callbatch.errors")


def _wants_graphiql(request: Request) -> bool:
    return (
        request.method == "GET"
        and "query" not in request.query_params
        and "text/html" in request.headers.get("accept", "")
    )


async def request_body(scope: Scope, receive: Receive, settings: Settings) -> bytes:
    """The whole body, bounded in size (413) and time (408) by the settings."""
    length = declared_length(scope["headers"])
    if length is not None and length > settings.max_body_bytes:
        raise PayloadTooLarge(f"the request body is larger than {settings.max_body_bytes} bytes")
    return await read_body(
        receive,
        max_bytes=settings.max_body_bytes,
        within_seconds=settings.request_body_timeout_seconds,
    )


def _request_data(request: Request, body: bytes) -> Any:
    """The GraphQL request as sent: the decoded body, or the GET parameters with their
    variables decoded; None when it cannot be read (Strawberry then says why)."""
    if request.method != "GET":
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
    params = parse_qs(request.scope.get("query_string", b"").decode("latin-1"))
    data: dict[str, Any] = {key: values[0] for key, values in params.items()}
    if data.get("variables"):
        try:
            data["variables"] = orjson.loads(data["variables"])
        except orjson.JSONDecodeError:
            return None
    return data


def _plain_json_post(request: Request, data: Any) -> bool:
    """A POST that Strawberry reads as one JSON request and answers with one JSON body: not a
    batch, no incremental delivery or event stream asked for, every field of its type."""
    if request.method != "POST" or not isinstance(data, dict):
        return False
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    accept = request.headers.get("accept", "")
    return (
        content_type == "application/json"
        and "multipart/mixed" not in accept
        and "text/event-stream" not in accept
        and isinstance(data.get("query"), str)
        and isinstance(data.get("variables"), dict | None)
        and isinstance(data.get("extensions"), dict | None)
        and isinstance(data.get("operationName"), str | None)
    )


@dataclass
class Answer:
    """A request's response and what the request still holds (its agency's slot, its database
    transaction), if anything."""

    response: Response
    held: AsyncExitStack | None = None

    async def send(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the response while what is held is released: the client has its answer
        without waiting for the transaction's `ROLLBACK` (a read-only transaction's end cannot
        change what was read; writes commit in their own transactions before the answer is
        made), and a slow reader still holds no connection."""
        if self.held is None:
            await self.response(scope, receive, send)
            return
        releasing = asyncio.create_task(self.held.aclose())
        try:
            await self.response(scope, receive, send)
        finally:
            await releasing


class GraphQLEndpoint(GraphQL[Context, None]):
    """The database connection is taken only once the body is in and the token is valid, and
    released while the answer is sent: neither a slow sender nor a slow reader holds one."""

    def __init__(self, schema: CallBatchSchema) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self.limit_checks = schema.limit_checks
        self.graphql_schema = schema._schema
        self.compiled_reads = CompiledReads(schema._schema, schema.limit_checks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await Response(status_code=404)(scope, receive, send)
            return
        request = Request(scope, receive)
        record = record_of(request) or RequestRecord(request_id_of(request))
        if _wants_graphiql(request):
            record.operation = "graphiql"
            await (await self.render_graphql_ide(request))(scope, receive, send)
            return
        state: AppState = request.app.state.app
        response: Response
        try:
            body = b""
            if request.method == "POST":
                body = await request_body(scope, receive, state.settings)
                request = Request(scope, replaying(body, receive))
            data = _request_data(request, body)
            record.operation = self._operation_name(request, data)
            user_id = state.tokens.user(request.headers.get("authorization"))
            state.fair_share.admit(state.fair_share.lane_for(user_id))
            if self.limit_checks.refuses(self.graphql_schema, data):
                # Refused before execution whatever the database holds: answered without
                # signing in, so it never waits for its agency's share or takes a connection.
                work = lambda: self._refuse_unexecuted(request, record, state, user_id)  # noqa: E731
            else:
                work = lambda: self._answer(request, record, state, user_id, data)  # noqa: E731
            answer = await within_deadline(work, receive, state.settings.request_deadline_seconds)
        except ClientDisconnected:
            record.client_disconnected = True
            log_disconnect(scope["path"], record.request_id)
            return
        except BadRequest as refused:
            # The body may be partly unread: the connection cannot carry another request.
            response = self._refusal(refused, record)
            response.headers["Connection"] = "close"
        except Exception as raised:
            response = self._refusal(raised, record)
        else:
            await answer.send(scope, receive, send)
            return
        await response(scope, receive, send)

    async def _answer(
        self,
        request: Request,
        record: RequestRecord,
        state: AppState,
        user_id: uuid.UUID,
        data: Any,
    ) -> Answer:
        fair_share = state.fair_share
        async with AsyncExitStack() as held:
            await held.enter_async_context(fair_share.slot(fair_share.lane_for(user_id)))
            timeout_ms = state.settings.request_statement_timeout_ms
            compiled_first = self._compiled_first(request, data, state)
            # A query the compiled path tries first leaves the membership check to its first
            # statement (`read_in_scope()`): nothing is sent before it.
            one_statement = compiled_first and self._one_statement_reads(state)
            db, principal = await self._signed_in(state, user_id, timeout_ms, one_statement)
            held.push_async_callback(db.close)
            try:
                response = await self._respond(
                    request, record, state, db, principal, data, compiled_first
                )
            except NotAMember:
                # The caller left the agency it had on its last request: signed in afresh.
                await db.close()
                db = RequestDatabase(state.read_sessions, statement_timeout_ms=timeout_ms)
                held.push_async_callback(db.close)
                principal = await sign_in(user_id, db)
                response = await self._respond(
                    request, record, state, db, principal, data, compiled_first
                )
            if isinstance(response, StreamingResponse):
                # Its body is made while it is sent, possibly with this request's database
                # (incremental delivery): released first, as the `async with` does on return.
                return Answer(response)
            return Answer(response, held.pop_all())

    async def _respond(
        self,
        request: Request,
        record: RequestRecord,
        state: AppState,
        db: RequestDatabase,
        principal: Principal,
        data: Any,
        compiled_first: bool,
    ) -> Response:
        """The compiled path's answer when it is tried first and covers the query, or the
        resolvers' once the caller's membership is confirmed (`NotAMember` when it is not,
        before anything is answered)."""
        fair_share = state.fair_share
        timeout_ms = state.settings.request_statement_timeout_ms
        context = state.context_for(
            db, principal, record.request_id, timeout_ms, limits_checked=True
        )
        request.state.graphql_context = context
        try:
            compiled = (
                await self._compiled_answer(request, data, context) if compiled_first else None
            )
            if compiled is None:
                await db.confirm_member()
            fair_share.remember(principal.user_id, principal.agency_id)
            record.signed_in = True
            return compiled if compiled is not None else await self._run(request, record)
        finally:
            fair_share.charge_rows(principal.agency_id, context.rows_read.charged)

    @staticmethod
    def _compiled_first(request: Request, data: Any, state: AppState) -> bool:
        """The compiled path answers a plain JSON POST of a query it covers without
        Strawberry's HTTP handling (`_compiled_answer`); anything else Strawberry handles."""
        return state.settings.compiled_reads and _plain_json_post(request, data)

    @staticmethod
    def _one_statement_reads(state: AppState) -> bool:
        """With a read replica, the sign-in stays on the primary (`_signed_in`)."""
        return state.settings.one_statement_reads and state.read_engine is state.engine

    @staticmethod
    async def _signed_in(
        state: AppState, user_id: uuid.UUID, timeout_ms: int, confirm_later: bool = False
    ) -> tuple[RequestDatabase, Principal]:
        """The request's database scope and its caller. A caller seen before on this worker
        is scoped to its last agency at once, confirmed in the same round trip (no sign-in
        statement of its own), or with `confirm_later` by the first statement the request
        sends (`RequestDatabase.fetch_row`, `confirm_member`); anyone else is looked up
        first, in the same transaction."""
        if state.read_engine is not state.engine:
            # With a read replica the sign-in lookup stays on the primary (see
            # docs/OPERATIONS.md): its own short transaction, then the request's scope.
            principal = await authenticate(user_id, state.sessions)
            db = RequestDatabase(
                state.read_sessions,
                agency_id=principal.agency_id,
                user_id=principal.user_id,
                statement_timeout_ms=timeout_ms,
            )
            return db, principal
        remembered = state.fair_share.agency_of(user_id)
        if remembered is not None:
            db = RequestDatabase(
                state.read_sessions,
                agency_id=remembered,
                user_id=user_id,
                statement_timeout_ms=timeout_ms,
                confirm_member=True,
                one_statement_reads=confirm_later,
            )
            if confirm_later:
                return db, Principal(user_id=user_id, agency_id=remembered)
            member = await sign_in_as_member(user_id, remembered, db)
            if member is not None:
                return db, member
        db = RequestDatabase(state.read_sessions, statement_timeout_ms=timeout_ms)
        try:
            return db, await sign_in(user_id, db)
        except BaseException:
            await db.close()
            raise

    async def _compiled_answer(
        self, request: Request, data: Any, context: Context
    ) -> Response | None:
        """The compiled path's answer to a plain JSON POST (`_compiled_first`) of a query it
        covers, the response Strawberry would send for it (`{"data": …}`, 200, JSON) made here,
        without Strawberry's HTTP handling; None for anything else, which Strawberry handles
        (`execute_single` then does not try the compiled path a second time)."""
        request.state.compiled_tried = True
        answer = await self.compiled_reads.answer(
            data["query"], data.get("variables"), data.get("operationName"), context
        )
        if answer is None:
            return None
        return Response(self.encode_json({"data": answer}), media_type="application/json")

    async def _refuse_unexecuted(
        self, request: Request, record: RequestRecord, state: AppState, user_id: uuid.UUID
    ) -> Answer:
        """Strawberry's own answer (the same errors, codes and media type) for a request that
        fails before execution; its database scope is never opened (no agency is known)."""
        db = RequestDatabase(state.read_sessions)
        request.state.graphql_context = Context(
            db=db,
            user_id=user_id,
            agency_id=uuid.UUID(int=0),
            request_id=record.request_id,
            cursors=CursorCodec(state.cursor_key),
            rows_read=RowsRead(0),
        )
        try:
            return Answer(await self._run(request, record))
        finally:
            await db.close()

    @staticmethod
    def _refusal(raised: Exception, record: RequestRecord) -> Response:
        error = domain_error_for(raised)
        if error is None:
            logger.error("unexpected error (request %s)", record.request_id, exc_info=raised)
            error = DomainError(INTERNAL_MESSAGE)
        record.add_error_codes([error.code])
        return JSONResponse(
            error_body(error, record.request_id),
            status_code=error.http_status,
            headers=error.headers,
        )

    async def _run(self, request: Request, record: RequestRecord) -> Response:
        """Strawberry's handling, its plain-text refusals (not JSON, no query) as GraphQL bodies."""
        try:
            return await self.run(request)
        except HTTPException as refused:
            bad_request = BadRequest(refused.reason)
            record.add_error_codes([bad_request.code])
            return JSONResponse(error_body(bad_request), status_code=refused.status_code)

    def _operation_name(self, request: Request, data: Any) -> str:
        if request.method == "GET" and not data:
            return "graphiql"
        return graphql_operation_name(data, self.limit_checks.parse)

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: Any,
        request_data: Any,
    ) -> ExecutionResult:
        """A query the compiled path covers is answered by it; any other by the resolvers."""
        state: AppState = request.app.state.app
        tried = getattr(request.state, "compiled_tried", False)
        if state.settings.compiled_reads and not tried:
            data = await self.compiled_reads.answer(
                request_data.query, request_data.variables, request_data.operation_name, context
            )
            if data is not None:
                return ExecutionResult(data=data, errors=None)
        return await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )

    def decode_json(self, data: str | bytes) -> object:
        """orjson refuses what `json` accepts but PostgreSQL cannot store (lone surrogates) and
        stops at a nesting depth of 1024 where `json` raises RecursionError."""
        decoded = orjson.loads(data)
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "the request body must be a JSON object with a 'query' string")
        return decoded

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
            record = record_of(request)
            if record is not None:
                record.add_error_codes((e.extensions or {}).get("code") for e in result.errors)
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
        """orjson, or `json` in the same compact form for what orjson refuses: integers beyond
        64 bits, which clients may keep in `customData` (a 500 otherwise)."""
        try:
            return orjson.dumps(data)
        except orjson.JSONEncodeError:
            return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()

"""`ObservabilityMiddleware` wraps every HTTP request: it settles the request id (the client's
`X-Request-ID` when sane, else a new one, echoed in the response), keeps the request's record in
`scope["state"]` and a context variable (endpoints add the GraphQL operation name and error codes
to it, statements their time), times the request, then has the access line written and the
metrics updated."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.observability.exchange import Exchange
from web.observability.recorder import Observability
from web.request_record import (
    REQUEST_ID_HEADER,
    RequestRecord,
    current_request,
    keep_record,
    new_request_id,
    sane_request_id,
)

_HEADER = REQUEST_ID_HEADER.lower().encode()


class ObservabilityMiddleware:
    """Request id, timing, access log and metrics around every HTTP request."""

    def __init__(self, app: ASGIApp, observability: Observability) -> None:
        self.app = app
        self.observability = observability

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == _HEADER), None)
        request_id = sane_request_id(given.decode("latin-1") if given is not None else None)
        if request_id is None:
            request_id = new_request_id()
            headers = [(k, v) for k, v in scope["headers"] if k != _HEADER]
            scope = {**scope, "headers": [*headers, (_HEADER, request_id.encode())]}
        record = RequestRecord(request_id)
        keep_record(scope, record)
        exchange = Exchange(record=record, method=scope["method"], path=scope["path"])
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                headers = [*message.get("headers", []), (_HEADER, request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        token = current_request.set(record)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            exchange.status = 500
            raise
        finally:
            exchange.seconds = time.perf_counter() - started
            exchange.route = getattr(scope.get("route"), "path", None)
            exchange.settle()
            self.observability.record(exchange)
            current_request.reset(token)

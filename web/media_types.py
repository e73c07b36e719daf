"""GraphQL over HTTP's two response media types, negotiated from the client's `Accept` header.

`application/graphql-response+json` (what Apollo Client 4 asks for first): request errors — the
document does not parse or validate, the variables cannot be coerced, so nothing was executed —
are HTTP 400 and their body has no `data` entry. `application/json` (the legacy type, answered
when the client prefers it, accepts both equally badly or sends no `Accept`): such errors keep
HTTP 200 and `"data": null`, as before. Field errors during execution are 200 under both.

`NegotiatedMediaType` wraps the `/graphql` endpoint: it decides the type before the endpoint runs
(in the request's ASGI state, where `process_result` reads it) and rewrites the response's
`Content-Type` and status as the endpoint reports them; refusals made before execution (no or bad
token, a body that is not JSON) lose their `"data": null` under the new type too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
_MEDIA_TYPE_KEY = "graphql_response_media_type"
_REQUEST_ERROR_KEY = "graphql_request_error"


def response_media_type(accept: str | None) -> str:
    """`application/graphql-response+json` when accepted at least as much as `application/json`."""
    weights: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[media.lower()] = max(weight, weights.get(media.lower(), 0.0))
    preferred = weights.get(GRAPHQL_RESPONSE_JSON, 0.0)
    return GRAPHQL_RESPONSE_JSON if preferred > 0 and preferred >= weights.get(JSON, 0.0) else JSON


def is_request_error(data: object, errors: Sequence[GraphQLError] | None) -> bool:
    """Nothing was executed: no data and no error that belongs to a field (has a `path`)."""
    return bool(data is None and errors and all(error.path is None for error in errors))


def answers_graphql_response_json(request: Request) -> bool:
    return bool(request.scope.get("state", {}).get(_MEDIA_TYPE_KEY) == GRAPHQL_RESPONSE_JSON)


def drop_data_of_request_error(request: Request, body: Any) -> Any:
    """Under `application/graphql-response+json` a request error has no `data` and is a 400.

    Call only for results `is_request_error` found to be request errors."""
    if answers_graphql_response_json(request) and isinstance(body, dict):
        request.scope["state"][_REQUEST_ERROR_KEY] = True
        body.pop("data", None)
    return body


class NegotiatedMediaType:
    """ASGI wrapper of the GraphQL endpoint applying the negotiated media type to its answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        media_type = response_media_type(Headers(scope=scope).get("accept"))
        state: dict[str, Any] = scope.setdefault("state", {})
        state[_MEDIA_TYPE_KEY] = media_type

        held: list[Message] = []

        async def send_negotiated(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.add_vary_header("Accept")
                if media_type != JSON and headers.get("content-type", "").startswith(JSON):
                    headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
                    if state.get(_REQUEST_ERROR_KEY) and message["status"] == 200:
                        message["status"] = 400
                    elif message["status"] >= 400:
                        held.append(message)  # a refusal: its body may carry "data": null
                        return
            elif held:
                held.append(message)
                if not message.get("more_body", False):
                    await _send_without_data(held, send)
                return
            await send(message)

        await self.app(scope, receive, send_negotiated)


async def _send_without_data(messages: list[Message], send: Send) -> None:
    """Re-send a held refusal (start, body parts) without its `"data": null` entry."""
    start, *parts = messages
    body = b"".join(part.get("body", b"") for part in parts)
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        decoded = None
    if isinstance(decoded, dict) and decoded.get("data", False) is None:
        del decoded["data"]
        body = orjson.dumps(decoded)
        MutableHeaders(scope=start)["content-length"] = str(len(body))
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})

"""The REST APIs that GraphQL replaces, served for clients still migrating (see README,
"Migrating from the REST APIs"), and their OpenAPI document."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from web.rest import functions, weya_batches, weya_details
from web.rest.endpoint import ALL_METHODS, rest_endpoint
from web.rest.envelopes import function_error
from web.rest.openapi import openapi_json


def rest_routes() -> list[BaseRoute]:
    return [
        Route(
            "/api/call/batches/{userId}",
            rest_endpoint(weya_batches.list_user_batches, weya_batches.list_failed),
            methods=ALL_METHODS,
        ),
        Route(
            "/api/call/batch-details/{id}",
            rest_endpoint(weya_details.batch_details, weya_details.details_failed),
            methods=ALL_METHODS,
        ),
        Route(
            "/functions/v1/calls-batch-list",
            rest_endpoint(functions.calls_batch_list, function_error),
            methods=ALL_METHODS,
        ),
        Route(
            "/functions/v1/calls-batch-get",
            rest_endpoint(functions.calls_batch_get, function_error),
            methods=ALL_METHODS,
        ),
        Route("/openapi.json", openapi_json, methods=["GET"]),
    ]

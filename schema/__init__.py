"""GraphQL layer: turns arguments into calls on `db/` and shapes the results."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError

from schema.errors import ErrorCodes
from schema.limits import LimitChecks, QueryLimiter, QueryLimits
from schema.mutation import Mutation
from schema.query import Query
from schema.subscription import Subscription, SubscriptionsOverWebsocket


class CallBatchSchema(strawberry.Schema):
    limit_checks: LimitChecks
    """The query limits and the caches of parsed and validated documents."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Nothing: `ErrorCodes` logs what needs logging (unexpected errors with their trace
        and request id, database faults), so client mistakes do not flood the log."""


def build_schema(limits: QueryLimits | None = None) -> CallBatchSchema:
    checks = LimitChecks(limits or QueryLimits())
    schema = CallBatchSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[ErrorCodes, lambda: QueryLimiter(checks), SubscriptionsOverWebsocket],
    )
    schema.limit_checks = checks
    return schema

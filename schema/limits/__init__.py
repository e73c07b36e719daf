"""Limits that keep one request's work bounded on a public endpoint.

Checked in order, each as cheaply as possible, before any resolver runs:
1. tokens and source length, while parsing (the parser aborts early; `parse.py`);
2. depth and aliases, on the parsed document (cached per document), before the standard
   GraphQL validation, so a bomb never reaches the costlier validation rules (`shape.py`);
3. the standard validation (cached per document), argument-value errors coded BAD_USER_INPUT;
4. the estimated cost, with the request's variables (page sizes may come from variables;
   `cost.py`, with the list sizes each list field declares in `list_sizes.py`).

`extension.py` runs them as a Strawberry extension. Every rejection is a GraphQL error with code
GRAPHQL_VALIDATION_FAILED and `extensions.limit`, `maximum` and (when known) `actual`
(`bounds.py`).
"""

from schema.limits.bounds import LIMIT_CODE, QueryLimits, limit_error
from schema.limits.cost import cost_errors, estimated_cost
from schema.limits.extension import VALIDATION_RULES, LimitChecks, QueryLimiter
from schema.limits.parse import parse_limit_error
from schema.limits.shape import shape_errors

__all__ = [
    "LIMIT_CODE",
    "VALIDATION_RULES",
    "LimitChecks",
    "QueryLimiter",
    "QueryLimits",
    "cost_errors",
    "estimated_cost",
    "limit_error",
    "parse_limit_error",
    "shape_errors",
]

"""`python -m schema` prints the SDL of the live schema (what `schema.graphql` must hold)."""

from schema import build_schema

print(build_schema().as_str())

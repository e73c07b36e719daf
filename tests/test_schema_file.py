from __future__ import annotations

from pathlib import Path

from schema import build_schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_graphql_is_the_live_schema() -> None:
    """Regenerate with: python -m schema > schema.graphql"""
    assert SCHEMA_FILE.read_text() == build_schema().as_str() + "\n"

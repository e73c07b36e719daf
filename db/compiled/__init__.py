"""Compiled reads: one SQL statement per root field that makes PostgreSQL build its JSON
(`shapes.py` says what to build, `reads.py` runs it)."""

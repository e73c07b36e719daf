"""Benchmarks: `python -m bench run --scale S|L` (see docs/BENCHMARKS.md)."""

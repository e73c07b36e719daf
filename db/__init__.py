"""Data layer: settings, engine, models and one module of query functions per aggregate."""

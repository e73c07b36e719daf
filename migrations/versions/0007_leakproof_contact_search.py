"""Contact search under row-level security that can use its trigram index.

Why: the app reads as `callbatch_app` under FORCEd policies. PostgreSQL then evaluates a query's
own conditions only after the policy's, unless the condition's operator is LEAKPROOF (it could
otherwise reveal rows the policy hides, through an error or a side effect). `LIKE` (`~~`,
`textlike`) is not leakproof, so `search_text LIKE '%term%'` could never be an index condition:
every row of the batch was read and filtered one by one (docs/BENCHMARKS.md, issue 16).

What: a leakproof operator `@~~` with exactly the meaning of `LIKE` (default escape `\\`), and,
where pg_trgm exists, a GIN operator class `contact_search_trgm_ops` that indexes it with
pg_trgm's own LIKE support functions (strategy 3), replacing 0003's trigram index on
`campaign_contacts.search_text`. The API searches with `search_text @~~ lower(:pattern)` on
every server, so results are the same with and without pg_trgm; without it (or without a
superuser, below) `contact_search_like` is instead a plain SQL function that the planner inlines
into `LIKE`, a filter exactly as before.

Why `contact_search_like` may be declared LEAKPROOF (the written justification):
- It has no side effects and its result depends only on its two arguments.
- It cannot raise an error that depends on its arguments' values. `textlike` itself raises
  exactly one: "LIKE pattern must not end with escape character", for a pattern ending with an
  odd number of backslashes, and only when the match reaches that end, so whether it is raised
  depends on both arguments. The function checks the pattern for that case first (with `length` and `rtrim`,
  which cannot fail on valid text) and returns false instead, so a caller that puts a hidden
  column in the pattern position learns nothing from an error. The API never sends such a
  pattern (`db.text_search.contains_pattern` escapes every backslash), so its results are those
  of `LIKE`. `textlike`'s other error, a nondeterministic collation, cannot occur: both sides are
  compared `COLLATE "C"`, which for `LIKE` (a byte-wise match under any deterministic
  collation) gives the same answer.
- STRICT: NULL in, NULL out, as `LIKE`; it never reads a table, so a policy cannot be bypassed.
- It is PL/pgSQL so that the planner cannot inline it back into the non-leakproof `~~` (an
  inlined SQL function would lose both the LEAKPROOF mark and the index match). Every name in
  it is schema-qualified (`pg_catalog`), so no search_path can substitute another function.

Privileges: only a superuser may declare a function LEAKPROOF or create an operator class.
When the migration runs as another role (or pg_trgm is missing) it creates the inlined SQL
variant and no index, and a NOTICE says so: search results are unchanged, only the plan stays
the old one. Installing pg_trgm later does not add the index by itself: downgrade to 0006 and
upgrade again (as a superuser) to build it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_TRIGRAM_INDEX = "ix_campaign_contacts_search_trgm"  # 0003's, for LIKE
LEAKPROOF_TRIGRAM_INDEX = "ix_campaign_contacts_search_leakproof_trgm"
OPERATOR_CLASS = "contact_search_trgm_ops"

LEAKPROOF_SEARCH_FUNCTION = r"""
CREATE FUNCTION contact_search_like(document text, pattern text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
AS $$
BEGIN
    IF (pg_catalog.length(pattern) - pg_catalog.length(pg_catalog.rtrim(pattern, E'\\'))) % 2 = 1
    THEN
        RETURN false;
    END IF;
    RETURN (document COLLATE "C") OPERATOR(pg_catalog.~~) (pattern COLLATE "C");
END
$$
"""

INLINED_SEARCH_FUNCTION = r"""
CREATE FUNCTION contact_search_like(document text, pattern text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN (pg_catalog.length(pattern) - pg_catalog.length(pg_catalog.rtrim(pattern, E'\\'))) % 2 = 1
    THEN false
    ELSE (document COLLATE "C") OPERATOR(pg_catalog.~~) (pattern COLLATE "C")
END
"""
"""Where no index can serve the operator, the same answer as a plain SQL function, which the
planner inlines into its body: a filter as cheap as `LIKE` (the PL/pgSQL call costs about twice
`LIKE` per row). Not STRICT, since a STRICT function with a CASE body is not inlined; NULLs
still give NULL (`length(NULL)` makes the CASE take its ELSE branch, and `LIKE` gives NULL)."""

SEARCH_OPERATOR = """
CREATE OPERATOR @~~ (
    LEFTARG = text, RIGHTARG = text, FUNCTION = contact_search_like,
    RESTRICT = likesel, JOIN = likejoinsel
)
"""

OPERATOR_CLASS_DEFINITION = f"""
CREATE OPERATOR CLASS {OPERATOR_CLASS} FOR TYPE text USING gin AS
    OPERATOR 3 @~~ (text, text),
    FUNCTION 1 btint4cmp(int4, int4),
    FUNCTION 2 gin_extract_value_trgm(text, internal),
    FUNCTION 3 gin_extract_query_trgm(text, internal, int2, internal, internal, internal, internal),
    FUNCTION 4 gin_trgm_consistent(
        internal, int2, text, int4, internal, internal, internal, internal),
    FUNCTION 6 gin_trgm_triconsistent(internal, int2, text, int4, internal, internal, internal),
    STORAGE int4
"""


def _scalar(query: str) -> bool:
    return bool(op.get_bind().execute(sa.text(query)).scalar_one())


def _pg_trgm_installed() -> bool:
    return _scalar("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_trgm')")


def _superuser() -> bool:
    return _scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")


def upgrade() -> None:
    if not (_superuser() and _pg_trgm_installed()):
        op.execute(INLINED_SEARCH_FUNCTION)
        op.execute(SEARCH_OPERATOR)
        op.execute(
            "DO $$ BEGIN RAISE NOTICE 'pg_trgm is not installed or the migration does not run "
            "as a superuser: contact_search_like is a plain (inlined) SQL function and no "
            "trigram index serves it'; END $$"
        )
        return
    op.execute(LEAKPROOF_SEARCH_FUNCTION)
    op.execute(SEARCH_OPERATOR)
    op.execute(OPERATOR_CLASS_DEFINITION)
    op.execute(f"DROP INDEX IF EXISTS {OLD_TRIGRAM_INDEX}")
    op.execute(
        f"CREATE INDEX {LEAKPROOF_TRIGRAM_INDEX} ON campaign_contacts "
        f"USING gin (search_text {OPERATOR_CLASS})"
    )


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {LEAKPROOF_TRIGRAM_INDEX}")
    op.execute(f"DROP OPERATOR CLASS IF EXISTS {OPERATOR_CLASS} USING gin")
    op.execute(f"DROP OPERATOR FAMILY IF EXISTS {OPERATOR_CLASS} USING gin")
    op.execute("DROP OPERATOR IF EXISTS @~~ (text, text)")
    op.execute("DROP FUNCTION IF EXISTS contact_search_like(text, text)")
    if _pg_trgm_installed():
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {OLD_TRIGRAM_INDEX} ON campaign_contacts "
            "USING gin (search_text gin_trgm_ops)"
        )

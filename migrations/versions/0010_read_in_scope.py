"""`read_in_scope()`: a compiled read, its scope and its membership check as one statement.

Why: a compiled read took three round trips, `BEGIN` with the scope, the statement,
`ROLLBACK`. On loopback each costs a `send` and a wake-up on both sides, about a third of an
API worker's CPU for the batch list (docs/BENCHMARKS.md, issue 16). A single statement runs in
its own implicit transaction, so what `SET LOCAL` would set lives exactly as long as it; this
function sets the scope there and runs the read after it.

How it stays safe:
- It checks first, as the connecting role, that the user belongs to the agency (the check the
  scope's opening statement made before), and returns `member = false` and nothing else when
  it does not.
- It then sets every setting of the scope with `set_config(name, value, true)`, the role
  `callbatch_app` first among them, before the read is planned: the read is a prepared
  statement run by a dynamic `EXECUTE`, planned (or its plan revalidated: PostgreSQL replans a
  cached plan under row-level security when the role differs) only now, so row-level security
  applies to it as to every other statement of a request. The settings are transaction-local:
  they end with the statement's implicit transaction.
- The read is prepared by name in the session on its first use there (the name is a hash of its
  text, so a name always means one statement), in the same statement, so a connection that lost
  it (a pooler handing out another server connection, a `DEALLOCATE`) prepares it again;
  `prepared` says that it did, for the caller's bound on a connection's statements.
- SECURITY INVOKER: it runs nothing with powers its caller does not have. Its arguments travel
  as one `text[]` (`$1[k]::type` in the statement), written into the `EXECUTE` with `%L`, the
  quoting PostgreSQL guarantees for any text.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION read_in_scope(
            member_id uuid,
            member_of uuid,
            setting_names text[],
            setting_values text[],
            statement_name text,
            statement text,
            arguments text[],
            OUT member boolean,
            OUT body text,
            OUT rows_read bigint,
            OUT prepared boolean
        )
        LANGUAGE plpgsql VOLATILE SECURITY INVOKER
        AS $function$
        BEGIN
            prepared := false;
            member := EXISTS (SELECT 1 FROM users WHERE id = member_id AND agency_id = member_of);
            IF NOT member THEN
                RETURN;
            END IF;
            FOR i IN 1 .. cardinality(setting_names) LOOP
                PERFORM set_config(setting_names[i], setting_values[i], true);
            END LOOP;
            BEGIN
                EXECUTE format('EXECUTE %I(%L)', statement_name, arguments) INTO body, rows_read;
            EXCEPTION WHEN invalid_sql_statement_name THEN
                EXECUTE format('PREPARE %I (text[]) AS %s', statement_name, statement);
                prepared := true;
                EXECUTE format('EXECUTE %I(%L)', statement_name, arguments) INTO body, rows_read;
            END;
        END
        $function$
        """
    )
    op.execute(
        "COMMENT ON FUNCTION read_in_scope(uuid, uuid, text[], text[], text, text, text[]) IS "
        "'A compiled read run as callbatch_app in one agency''s scope, in one statement "
        "(migration 0010).'"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION read_in_scope(uuid, uuid, text[], text[], text, text, text[])")

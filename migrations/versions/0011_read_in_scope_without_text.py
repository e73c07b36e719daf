"""`read_in_scope()` without the statement's text once the session has it prepared.

Why: migration 0010's function took the read's text on every call and ran it inside an
exception block, so that a session that had lost the prepared statement prepared it again.
The text is several kilobytes a call to send and receive, and the block is a subtransaction
begun and released on every read. The caller knows which reads it has prepared on each of its
connections (it counts them already, for its bound on a connection's statements), so it now
sends `statement` NULL for those: the function then runs the prepared read directly, with no
block. A session that lost it anyway (a `DEALLOCATE`, PgBouncer in transaction mode handing
the connection's next statement to another server session) fails the call with
`invalid_sql_statement_name` (26000); the caller sends it again with the text on the same
connection and, on that connection, always sends the text from then on. With the text, the
function behaves as in 0010.

Nothing else changes: the membership check, the settings and SECURITY INVOKER are 0010's.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SIGNATURE = """read_in_scope(
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
        )"""

_OPENING = """
            prepared := false;
            member := EXISTS (SELECT 1 FROM users WHERE id = member_id AND agency_id = member_of);
            IF NOT member THEN
                RETURN;
            END IF;
            FOR i IN 1 .. cardinality(setting_names) LOOP
                PERFORM set_config(setting_names[i], setting_values[i], true);
            END LOOP;"""

_PREPARE_ON_MISS = """
            BEGIN
                EXECUTE format('EXECUTE %I(%L)', statement_name, arguments) INTO body, rows_read;
            EXCEPTION WHEN invalid_sql_statement_name THEN
                EXECUTE format('PREPARE %I (text[]) AS %s', statement_name, statement);
                prepared := true;
                EXECUTE format('EXECUTE %I(%L)', statement_name, arguments) INTO body, rows_read;
            END;"""


def _function(body: str) -> str:
    return f"""
        CREATE OR REPLACE FUNCTION {_SIGNATURE}
        LANGUAGE plpgsql VOLATILE SECURITY INVOKER
        AS $function$
        BEGIN{_OPENING}{body}
        END
        $function$
        """


def upgrade() -> None:
    op.execute(
        _function(
            """
            IF statement IS NULL THEN
                EXECUTE format('EXECUTE %I(%L)', statement_name, arguments) INTO body, rows_read;
                RETURN;
            END IF;"""
            + _PREPARE_ON_MISS
        )
    )


def downgrade() -> None:
    op.execute(_function(_PREPARE_ON_MISS))

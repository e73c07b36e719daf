"""Classifying database failures, so the API can answer them clearly instead of masking them."""

from __future__ import annotations

import enum

import asyncpg
from sqlalchemy import exc as sa_exc


class DatabaseFault(enum.Enum):
    UNAVAILABLE = "unavailable"
    """The server cannot be reached, or is starting or shutting down."""
    POOL_EXHAUSTED = "pool_exhausted"
    """No pooled connection became free within the pool timeout: this process is at capacity."""
    STATEMENT_TIMEOUT = "statement_timeout"
    """A statement ran longer than the configured statement timeout."""


_UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006"}
_STATEMENT_TIMEOUT_SQLSTATE = "57014"


def classify_driver_error(error: BaseException) -> DatabaseFault | None:
    """What kind of fault an error the driver raised outside SQLAlchemy is (the request's
    `BEGIN` and `ROLLBACK`, `db/driver_transaction.py`): only the connection-level ones."""
    if isinstance(error, (ConnectionError, OSError, TimeoutError)):
        return DatabaseFault.UNAVAILABLE
    if isinstance(error, (asyncpg.PostgresConnectionError, asyncpg.InterfaceError)):
        return DatabaseFault.UNAVAILABLE
    if isinstance(error, asyncpg.InternalClientError):
        # A pooled connection the server ended while idle (a restart or shutdown sends it a
        # FATAL notice, then closes it): when asyncpg has read the notice but not yet the close,
        # its next query fails this way ("another operation (2) is in progress"), not as closed.
        return DatabaseFault.UNAVAILABLE
    if getattr(error, "sqlstate", None) in _UNAVAILABLE_SQLSTATES:
        return DatabaseFault.UNAVAILABLE
    return None


def classify(error: BaseException) -> DatabaseFault | None:
    """What kind of database fault `error` is, or None when it is not one."""
    if isinstance(error, sa_exc.TimeoutError):
        return DatabaseFault.POOL_EXHAUSTED
    if isinstance(error, (ConnectionError, OSError, TimeoutError)):
        return DatabaseFault.UNAVAILABLE
    if isinstance(error, sa_exc.DBAPIError):
        original = error.orig
        sqlstate = getattr(original, "sqlstate", None) or getattr(
            getattr(original, "__cause__", None), "sqlstate", None
        )
        if sqlstate == _STATEMENT_TIMEOUT_SQLSTATE:
            return DatabaseFault.STATEMENT_TIMEOUT
        if sqlstate in _UNAVAILABLE_SQLSTATES or error.connection_invalidated:
            return DatabaseFault.UNAVAILABLE
        cause = getattr(original, "__cause__", None)
        if isinstance(cause, (ConnectionError, OSError)):
            return DatabaseFault.UNAVAILABLE
        if isinstance(error, (sa_exc.InterfaceError, sa_exc.OperationalError)):
            return DatabaseFault.UNAVAILABLE
    return None

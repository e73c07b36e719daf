"""What a person sees when `python app.py` starts: a short log, then the address and the token.

Log format: `LOG_FORMAT` when it is set; otherwise `text` when stderr is a terminal (a person
reading) and `json` when it is not (a container, systemd, a pipe into a log shipper). Either way
the start-up is short: the embedded PostgreSQL's initdb/pg_ctl chatter (logger `pgserver`),
Alembic's plugin set-up lines and the `XDG_RUNTIME_DIR` warning of `platformdirs` are left out;
what remains is one line per migration applied, one line about the demo data (all agencies, and
what the printed demo user sees: its own agency only) and, in `text` mode, nothing of uvicorn's
start-up lines. The last lines of the output (stdout, plain text in both modes: a person or a
script greps them, they do not belong in shipped logs) are the address and the
`Authorization: Bearer` line, printed once the server accepts connections (with `--workers N`,
just before uvicorn's supervisor starts the workers).
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable, MutableMapping
from types import FrameType
from typing import Any, TextIO

import uvicorn
from starlette.types import ASGIApp

from demo.load import DemoUserView
from demo.plan import DemoSummary

_QUIET_LOGGERS = ("pgserver", "alembic.runtime.plugins")
_ALEMBIC_PREAMBLE = ("Context impl ", "Will assume ")
_UVICORN_START_UP = (
    "Started server process",
    "Waiting for application startup",
    "Application startup complete",
    "Uvicorn running on",
)


def choose_log_format(environ: MutableMapping[str, str], stderr: TextIO) -> str:
    """`LOG_FORMAT` as set, else `text` on a terminal and `json` otherwise (written back)."""
    if not environ.get("LOG_FORMAT"):
        environ["LOG_FORMAT"] = "text" if stderr.isatty() else "json"
    return environ["LOG_FORMAT"]


class _DropStartingWith(logging.Filter):
    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefixes)


def quiet_start_up(log_format: str) -> None:
    """Keep the start-up log to what a person needs (see the module's docstring)."""
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.migration").addFilter(_DropStartingWith(_ALEMBIC_PREAMBLE))
    if log_format == "text":
        logging.getLogger("uvicorn.error").addFilter(_DropStartingWith(_UVICORN_START_UP))


def demo_data_message(everything: DemoSummary, sees: DemoUserView) -> str:
    state = "loaded" if everything.inserted else "already present"
    return (
        f"demo data {state}: {everything.agencies} agencies, {everything.batches} batches, "
        f"{everything.contacts} contacts, {everything.call_logs} call logs (all agencies, "
        f"deleted batches included); the demo user sees its own agency ({sees.agency}) only: "
        f"{sees.batches} batches, {sees.contacts} contacts"
    )


def welcome_lines(
    token: str,
    host: str,
    port: int,
    demo: tuple[DemoSummary, DemoUserView] | None,
    prefilled: bool,
) -> list[str]:
    """`demo`: (all demo data, what the demo user sees) when the demo data was loaded."""
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    lines = []
    if demo is not None:
        everything, sees = demo
        lines.append(
            f"The token below is the demo user's, of {sees.agency}: it sees that agency's "
            f"{sees.batches} batches only (the demo data has {everything.batches}, "
            f"in {everything.agencies} agencies)."
        )
    lines.append(
        "GraphiQL has the header below filled in for browsers on this machine; "
        "scripts send it as it is."
        if prefilled
        else "Paste the header below into GraphiQL's Headers tab as "
        '{"Authorization": "Bearer <token>"}; scripts send it as it is.'
    )
    lines.append(f"GraphiQL: http://{shown_host}:{port}/graphql")
    lines.append(f"Authorization: Bearer {token}")
    return lines


def print_lines(lines: list[str]) -> None:
    print("\n".join(lines), flush=True)


class _AnnouncingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and not self.should_exit:
            self.on_started()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve_then(app: ASGIApp, on_started: Callable[[], None], **options: Any) -> None:
    """`uvicorn.run(app, **options)` for one process, calling `on_started` once it listens.

    After a graceful shutdown on SIGTERM uvicorn raises the signal again; with the default handler
    that would end the process at once, skipping the caller's clean-up (stopping the embedded
    PostgreSQL), so SIGTERM becomes `SystemExit(0)` instead: a stop asked for and done cleanly.
    """
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    _AnnouncingServer(uvicorn.Config(app, **options), on_started).run()

"""The first start's console: log format chosen from the terminal, address and token last."""

from __future__ import annotations

import io
import logging

import pytest

from demo.load import DemoUserView
from demo.plan import DemoSummary
from web.console import choose_log_format, quiet_start_up, welcome_lines


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("environ", "stderr", "expected"),
    [
        ({}, Terminal(), "text"),
        ({}, io.StringIO(), "json"),
        ({"LOG_FORMAT": ""}, io.StringIO(), "json"),
        ({"LOG_FORMAT": "json"}, Terminal(), "json"),
        ({"LOG_FORMAT": "text"}, io.StringIO(), "text"),
    ],
)
def test_the_log_format_is_text_on_a_terminal_json_elsewhere_unless_set(
    environ: dict[str, str], stderr: io.StringIO, expected: str
) -> None:
    assert choose_log_format(environ, stderr) == expected
    assert environ["LOG_FORMAT"] == expected  # worker processes inherit the choice


def test_the_welcome_ends_with_the_address_then_the_authorization_line() -> None:
    demo = (
        DemoSummary(agencies=2, batches=30, contacts=3585, call_logs=2821, inserted=True),
        DemoUserView(agency="Northwind Outreach", batches=19, contacts=2670),
    )

    lines = welcome_lines("tok.en", "0.0.0.0", 8123, demo, prefilled=False)  # noqa: S104

    assert lines[-2:] == ["GraphiQL: http://127.0.0.1:8123/graphql", "Authorization: Bearer tok.en"]
    assert "19 batches only (the demo data has 30, in 2 agencies)" in lines[0]
    assert "Paste the header below" in lines[1]


def test_without_demo_data_the_welcome_says_nothing_about_the_demo_user() -> None:
    lines = welcome_lines("tok.en", "127.0.0.1", 8000, None, prefilled=False)

    assert not any("demo" in line for line in lines)
    assert lines[-1] == "Authorization: Bearer tok.en"


def test_text_mode_drops_uvicorns_start_up_lines_but_keeps_its_warnings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    uvicorn_logger = logging.getLogger("uvicorn.error")
    before = list(uvicorn_logger.filters)
    try:
        quiet_start_up("text")
        with caplog.at_level(logging.INFO, logger="uvicorn.error"):
            uvicorn_logger.info("Uvicorn running on %s", "http://127.0.0.1:8000")
            uvicorn_logger.warning("Invalid HTTP request received.")
    finally:
        uvicorn_logger.filters[:] = before
        for name in ("pgserver", "alembic.runtime.plugins"):
            logging.getLogger(name).setLevel(logging.NOTSET)
        migration = logging.getLogger("alembic.runtime.migration")
        migration.filters = [
            f for f in migration.filters if type(f).__name__ != "_DropStartingWith"
        ]

    assert [record.getMessage() for record in caplog.records] == ["Invalid HTTP request received."]

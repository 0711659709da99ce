"""The red-team report: counts collected by the tests, printed in pytest's summary."""

from __future__ import annotations

import pytest

REPORT: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT:
        terminalreporter.section("red-team corpus")
        for line in REPORT:
            terminalreporter.write_line(line)

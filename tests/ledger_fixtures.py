"""Ledger fixtures: the real PostgreSQL server (a database of its own for this test run,
dropped at the end; a clean schema per test) and a ``ledger_url`` parametrised over both
backends, so one suite runs against SQLite and PostgreSQL.

Where no server answers (a developer's machine), the postgres-marked tests are skipped with
a one-line reason shown in the header and the summary; under CI (``CI`` set) they fail
instead: in CI they must run."""

from __future__ import annotations

import os
import secrets
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

ADMIN_URL = os.environ.get("PIIGATE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _server_problem() -> str | None:
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        first = (str(exc).splitlines() or ["no answer"])[0]
        return f"PostgreSQL at {ADMIN_URL} unavailable ({first})"
    return None


def pytest_report_header() -> str:
    problem = _server_problem()
    return (
        f"postgres: {problem}; postgres tests will be skipped"
        if problem
        else (f"postgres: {ADMIN_URL} (postgres tests run)")
    )


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database created for this run and dropped after it; its URL."""
    problem = _server_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}: CI must run the PostgreSQL tests")
        pytest.skip(problem)
    name = f"piigate_test_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The run's database with an empty schema for this test."""
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using it runs twice: on a SQLite file and on the PostgreSQL server."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path}/ledger.db"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say at the end what was skipped and why (no PostgreSQL, Postfix or Chromium here),
    one line per reason."""
    reasons: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        reason = str(longrepr[2]) if isinstance(longrepr, tuple) else "no reason given"
        reasons[reason.removeprefix("Skipped: ")] += 1
    for reason, count in reasons.items():
        terminalreporter.write_line(f"skipped {count}: {reason}")

"""No disclosure without a record: a real `piigate serve` process is killed (SIGKILL) at each
point of relaying a message with PII — upstream reached but DATA not yet sent, the final dot
sent, the upstream's 250 received but the record not committed, the record committed — and
the ledger, opened again as the next gate start opens it, holds exactly one record of the
message (marked "delivery not confirmed" unless the commit happened), no intent left, and
an intact chain. On SQLite and on the real PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from piigate.config import HostPort
from piigate.record import open_ledger
from piigate.record.dialects import APPEND_LOCK
from piigate.record.form import UNCONFIRMED, form_text
from tests.conftest import SinkSMTP, send
from tests.integration.test_cli import free_port, run_cli, serve_env, spawn_serve, wait_for_port
from tests.synthetic import message, ssn

POINTS = ("before-data", "after-dot", "after-250", "after-commit")
ON_POSTGRES = ("after-dot", "after-250")
"""PostgreSQL runs the two points where its own locking and commit matter (each run starts a
real gate process: the whole table on both backends would take minutes)."""


@dataclass
class PausingUpstream:
    """An upstream MTA that says when the gate reached ``pause_at`` and then holds it there
    (the gate is killed meanwhile); ``on_accept`` runs just before it answers 250."""

    pause_at: str
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    received: list[bytes] = field(default_factory=list)
    on_accept: Any = None

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        envelope.rcpt_tos.append(address)
        if self.pause_at == "before-data":
            await self._hold()
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append(envelope.original_content)
        if self.pause_at == "after-dot":
            await self._hold()
        if self.on_accept is not None:
            self.on_accept()
        if self.pause_at == "after-250":
            self.reached.set()
        return "250 2.0.0 OK: queued"

    async def _hold(self) -> None:
        self.reached.set()
        await asyncio.sleep(3600)


@contextlib.asynccontextmanager
async def upstream(handler: PausingUpstream) -> AsyncIterator[tuple[str, int]]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SinkSMTP(handler, decode_data=False, hostname="upstream"), "127.0.0.1", 0
    )
    try:
        yield "127.0.0.1", int(server.sockets[0].getsockname()[1])
    finally:
        server.close()


@contextlib.contextmanager
def append_lock_held(ledger_url: str) -> Iterator[Any]:
    """Something else holding the chain's append lock (as a long append by another gate
    would): the gate's commit waits behind it. Yields a function that takes it."""
    if ledger_url.startswith("sqlite"):
        conn: Any = sqlite3.connect(ledger_url.removeprefix("sqlite:///"), isolation_level=None)
        take = lambda: conn.execute("BEGIN IMMEDIATE")  # noqa: E731
        release = lambda: conn.execute("ROLLBACK") if conn.in_transaction else None  # noqa: E731
    else:
        conn = psycopg.connect(ledger_url, autocommit=True)
        take = lambda: conn.execute("SELECT pg_advisory_lock(%s)", (APPEND_LOCK,))  # noqa: E731
        release = lambda: conn.execute("SELECT pg_advisory_unlock_all()")  # noqa: E731
    try:
        yield take
    finally:
        release()
        conn.close()


CASES = [
    *(pytest.param("sqlite", p, id=f"sqlite-{p}") for p in POINTS),
    *(
        pytest.param("postgres", p, id=f"postgres-{p}", marks=pytest.mark.postgres)
        for p in ON_POSTGRES
    ),
]


@pytest.mark.parametrize(("backend", "point"), CASES)
async def test_a_gate_killed_while_relaying_leaves_a_record(
    backend: str, point: str, tmp_path: Path, delivering_rules: Path, request: pytest.FixtureRequest
) -> None:
    """Killed at ``point``, the gate leaves exactly one record of the message it was relaying
    (unconfirmed unless it had committed), no intent, and an intact chain."""
    ledger_url = f"sqlite:///{tmp_path}/ledger.db"
    if backend == "postgres":
        ledger_url = str(request.getfixturevalue("postgres_url"))
    env = {
        **serve_env(tmp_path),
        "PIIGATE_LEDGER__URL": ledger_url,
        "PIIGATE_RULES_DIR": str(delivering_rules),
    }
    assert run_cli("keys", "init", cwd=tmp_path, env=env).returncode == 0
    handler = PausingUpstream(point)
    value = ssn(random.Random(9162))
    port = free_port()
    with append_lock_held(ledger_url) as take_lock:
        if point == "after-250":
            handler.on_accept = take_lock
        async with upstream(handler) as (host, upstream_port):
            proc = spawn_serve(tmp_path, port, HostPort(host, upstream_port), env)
            try:
                await asyncio.to_thread(wait_for_port, port, proc)
                client = asyncio.ensure_future(
                    send(HostPort("127.0.0.1", port), message(body=f"SSN {value}\n"))
                )
                if point == "after-commit":
                    code, reply = await client
                    assert code == 250, reply
                else:
                    await asyncio.wait_for(handler.reached.wait(), 60)
                    await asyncio.sleep(0.5)  # the gate is waiting: on the upstream, or the lock
                proc.send_signal(signal.SIGKILL)
                proc.wait(30)
                if not client.done():
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(client, 10)
            finally:
                _stop(proc)
    key = bytes.fromhex((tmp_path / "var/piigate/keys/ledger.key").read_text().strip())
    ledger = open_ledger(ledger_url, key, journal=tmp_path / "ledger.journal")
    try:
        (record,) = ledger.records()
        assert record.unconfirmed is (point != "after-commit")
        assert (UNCONFIRMED in form_text(record)) is record.unconfirmed
        assert record.individuals == 1 and record.pii_counts == {"US_SSN": 1}
        assert ledger.verify().intact
        assert ledger.recover_intents() == 0
    finally:
        ledger.close()
    assert _intents_left(ledger_url) == 0
    assert len(handler.received) == (0 if point == "before-data" else 1)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    if proc.stderr is not None:
        proc.stderr.close()


def _intents_left(ledger_url: str) -> int:
    if ledger_url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(ledger_url.removeprefix("sqlite:///"))) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM ledger_intents").fetchone()[0])
    with psycopg.connect(ledger_url) as conn:
        row = conn.execute("SELECT COUNT(*) FROM ledger_intents").fetchone()
        return int(row[0]) if row else 0

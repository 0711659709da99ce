"""The pieces of the kill -9 suite (tests/integration/test_kill_steps.py): an upstream MTA that
can hold the gate at a recipient or just before its 250, an SMTP client that stops after
any command, the database locks that stop a real `piigate serve` at a step of its own, and
the accounting of each message at the upstream, the quarantine and the ledger."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from piigate.config import HostPort
from piigate.record.ledger import open_ledger
from tests.conftest import SinkSMTP


@dataclass
class HoldingUpstream:
    """The next hop. It keeps a message when it answers 250 to its content; it can hold the
    gate at the RCPT of one address (saying so in ``reached``) until ``release``, then
    answers 451; ``before_accept`` runs just before a 250 to content."""

    delivered: list[tuple[list[str], bytes]] = field(default_factory=list)
    hold_rcpt: str | None = None
    before_accept: Callable[[], None] | None = None
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address == self.hold_rcpt:
            self.reached.set()
            await self.release.wait()
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.before_accept is not None:
            self.before_accept()
        self.delivered.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 OK: queued"

    def reset(self) -> None:
        """Hold nothing from now on; let any held connection go."""
        self.hold_rcpt, self.before_accept = None, None
        self.release.set()
        self.reached, self.release = asyncio.Event(), asyncio.Event()


@contextlib.asynccontextmanager
async def upstream_server(handler: HoldingUpstream) -> AsyncIterator[HostPort]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SinkSMTP(handler, decode_data=False, hostname="upstream"), "127.0.0.1", 0
    )
    try:
        yield HostPort("127.0.0.1", int(server.sockets[0].getsockname()[1]))
    finally:
        server.close()


SESSION = {
    "greeting": (),
    "MAIL": (b"EHLO mta.test", b"MAIL FROM:<alice@dhs.gov>"),
    "RCPT": (b"EHLO mta.test", b"MAIL FROM:<alice@dhs.gov>", b"RCPT TO:<bob@fbi.gov>"),
    "DATA": (b"EHLO mta.test", b"MAIL FROM:<alice@dhs.gov>", b"RCPT TO:<bob@fbi.gov>", b"DATA"),
}
"""How far the client goes before the gate is killed: each command answered (2xx or 354)."""


async def client_stopped_at(address: HostPort, step: str, raw: bytes) -> asyncio.Task[int]:
    """A client that has reached ``step`` (and, for DATA, sent half the content) and now
    waits; the task is the code it finally sees (421 when the connection is lost)."""
    reader, writer = await asyncio.open_connection(address.host, address.port)
    assert (await read_reply(reader)).startswith(b"220")
    for command in SESSION[step]:
        writer.write(command + b"\r\n")
        reply = await read_reply(reader)
        assert reply[:1] in (b"2", b"3"), reply
    if step == "DATA":
        writer.write(raw[: len(raw) // 2])
        await writer.drain()

    async def outcome() -> int:
        try:
            rest = await reader.read()
        except ConnectionError:  # reset: the gate died with our bytes unread
            rest = b""
        finally:
            writer.close()
        codes = re.findall(rb"^(\d{3}) ", rest, re.MULTILINE)
        return int(codes[-1]) if codes else 421

    return asyncio.ensure_future(outcome())


async def read_reply(reader: asyncio.StreamReader) -> bytes:
    """One SMTP reply, all its lines."""
    lines = [await reader.readline()]
    while lines[-1][3:4] == b"-":
        lines.append(await reader.readline())
    return b"".join(lines)


@contextlib.contextmanager
def postgres_lock(url: str, statement: str) -> Iterator[None]:
    """Another session holding a lock (``statement``) until the block ends."""
    conn = psycopg.connect(url)
    try:
        conn.execute(statement)
        yield
    finally:
        conn.rollback()
        conn.close()


def wait_for_waiter(
    url: str, event: str = "%", query: str = "%", waiting: bool = True, timeout: float = 120
) -> None:
    """Until a session of the gate waits on a lock (``event``: relation, advisory) while
    running a statement like ``query`` (``waiting`` False: until none does any more)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND wait_event LIKE %s AND query LIKE %s AND datname = current_database()"
                " AND pid <> pg_backend_pid()",
                (event, query),
            ).fetchone()
            if bool(row and row[0]) is waiting:
                return
            time.sleep(0.05)
    raise AssertionError(f"waiting on {event} lock for {query} never became {waiting}")


@contextlib.contextmanager
def sqlite_write_lock(path: Path) -> Iterator[None]:
    """Another writer holding the (quarantine's) SQLite database until the block ends."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def wait_for_file(folder: Path, pattern: str, before: set[str], timeout: float = 120) -> None:
    """Until a file matching ``pattern`` not among ``before`` is in ``folder``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.name not in before for p in folder.glob(pattern)):
            return
        time.sleep(0.05)
    raise AssertionError(f"no {pattern} in {folder}")


@dataclass
class Account:
    """Where one message ended up after the kill, the restart and the client's retries."""

    signal: str
    step: str
    reached_by: str
    first: int
    retried: int
    delivered: int = 0
    held: int = 0
    records: int = 0
    unconfirmed: int = 0

    def line(self) -> str:
        return (
            f"| {self.signal} | {self.step} | {self.reached_by} | {self.first} | {self.retried} | "
            f"{self.delivered} | {self.held} | {self.records} ({self.unconfirmed} unconfirmed) |"
        )


def message_id(raw: bytes) -> str:
    found = re.search(rb"^Message-ID: (.+?)\r?$", raw, re.MULTILINE | re.IGNORECASE)
    assert found
    return found.group(1).decode()


def tally(
    accounts: list[tuple[Account, bytes]], upstream: HoldingUpstream, ledger_url: str, q_db: Path
) -> None:
    """Fill each account from the upstream's deliveries to the recipient (not the notices to
    the sender), the quarantine's rows and the ledger the gates shared."""
    ledger = open_ledger(ledger_url, journal=q_db.parent / "reader-journal")
    try:
        records = ledger.records()
    finally:
        ledger.close()
    with contextlib.closing(sqlite3.connect(q_db)) as conn:
        held = [row[0] for row in conn.execute("SELECT message_id FROM quarantine_messages")]
    for account, raw in accounts:
        mid = message_id(raw)
        account.delivered = sum(
            "bob@fbi.gov" in rcpts and mid.encode() in content
            for rcpts, content in upstream.delivered
        )
        account.held = held.count(mid)
        mine = [r for r in records if r.message_id == mid]
        account.records, account.unconfirmed = len(mine), sum(r.unconfirmed for r in mine)


def orphans(q_dir: Path, q_db: Path) -> list[str]:
    """Sealed files in the quarantine folder with no row (and temporary files left)."""
    with contextlib.closing(sqlite3.connect(q_db)) as conn:
        ids = {row[0] for row in conn.execute("SELECT id FROM quarantine_messages")}
    return [p.name for p in q_dir.iterdir() if p.suffix != ".msg" or p.stem not in ids]

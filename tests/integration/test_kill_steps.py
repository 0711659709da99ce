"""`kill -9` (and SIGTERM) at each step of a message: a real `piigate serve` (PostgreSQL
ledger, SQLite quarantine, a real upstream MTA on loopback) is killed while a message is at
one step —

    connection/greeting → MAIL → RCPT → DATA receipt → screening → ledger intent → relay
    → ledger record → quarantine write → notice to the sender

— then started again, and the client retries as an MTA does after a lost connection or a
4xx. Each step is reached for real, never by a hook in the gate: the client stops after a
command; a lock another session holds on the ledger's tables (seen waiting in
pg_stat_activity) or on the quarantine's database; the upstream holding the gate at a
recipient. Every message must end accounted for: delivered or held, with one ledger record
per delivery, and nothing left in the quarantine folder without its row. Two kill -9 steps
cannot give "delivered once, one record" (see Step.expect and the README): the intent of a
message the upstream had started to receive becomes an unconfirmed record beside the retry's,
and a kill after the upstream's 250 but before the client's is SMTP's duplicate (RFC 1047).

SIGTERM at each step lets the step go within the grace period: the message is finished (250)
or answered 421/451 and retried, and always delivered or held once, with one record.

`make faults` runs every step under both signals and writes the table (README "Faults and
fuzzing"); `make test` runs kill -9 at a representative three (one before screening, the
ledger intent, the quarantine write).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from piigate.config import HostPort
from piigate.quarantine.retries import ORPHAN_AGE
from piigate.record.dialects import APPEND_LOCK
from tests.fault_harness import show_table, try_send, victim
from tests.integration.mta import free_port
from tests.integration.test_cli import serve_env, spawn_serve, wait_for_port
from tests.integration.test_scale_out import RULES as AUDIT_RULES
from tests.kill_steps import (
    Account,
    HoldingUpstream,
    client_stopped_at,
    orphans,
    postgres_lock,
    sqlite_write_lock,
    tally,
    upstream_server,
    wait_for_file,
    wait_for_waiter,
)

pytestmark = pytest.mark.postgres

RULES = (
    AUDIT_RULES
    + """  - id: cumulative-exposure
    when: cumulative-exposure
    params: {max_organizations: 50}
    scope: {external: true, sensitive: true}
    action: quarantine
    message: Held ({summary}).
"""
)
"""Deliver PII under audit (each delivery recorded), hold unreadable content; the cumulative
rule makes screening read the ledger's history (never reached: 50 organisations)."""
BINARY = ("data.bin", b"\x00\x01BINARY" + bytes(4096), "application/octet-stream")


@dataclass
class Run:
    address: HostPort
    upstream: HoldingUpstream
    ledger_url: str
    q_dir: Path
    q_db: Path
    locks: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)


Reach = Callable[[Run, bytes], Awaitable["asyncio.Future[int]"]]


@dataclass(frozen=True)
class Step:
    name: str
    reached_by: str
    reach: Reach
    held: bool = False
    expect: tuple[int, int, int] = (1, 0, 1)
    """(delivered, held, ledger records) after kill -9, the restart and the retry (after
    SIGTERM: always one delivery with one record, or one held copy)."""
    first_on_term: int = 250
    """The client's reply when the gate is stopped (SIGTERM) at this step."""

    def expected(self, sig: signal.Signals) -> tuple[int, int, int]:
        if sig is signal.SIGKILL:
            return self.expect
        return (0, 1, 0) if self.held else (1, 0, 1)


def in_session(command: str) -> Reach:
    async def reach(run: Run, raw: bytes) -> asyncio.Future[int]:
        return await client_stopped_at(run.address, command, raw)

    return reach


def sending(run: Run, raw: bytes) -> asyncio.Future[int]:
    return asyncio.ensure_future(try_send(run.address, raw))


def waiting_on_table(table: str, statement: str) -> Reach:
    """The gate stopped at its statement like ``statement`` on ``table`` by another
    session's lock on the table (seen waiting in pg_stat_activity)."""

    async def reach(run: Run, raw: bytes) -> asyncio.Future[int]:
        lock = f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"
        run.locks.enter_context(postgres_lock(run.ledger_url, lock))
        client = sending(run, raw)
        await asyncio.to_thread(wait_for_waiter, run.ledger_url, "relation", statement)
        return client

    return reach


async def at_upstream_recipient(recipient: str, run: Run, raw: bytes) -> asyncio.Future[int]:
    run.upstream.hold_rcpt = recipient
    client = sending(run, raw)
    await asyncio.wait_for(run.upstream.reached.wait(), 120)
    return client


async def at_relay(run: Run, raw: bytes) -> asyncio.Future[int]:
    return await at_upstream_recipient("bob@fbi.gov", run, raw)


async def at_notice(run: Run, raw: bytes) -> asyncio.Future[int]:
    return await at_upstream_recipient("alice@dhs.gov", run, raw)


async def at_record(run: Run, raw: bytes) -> asyncio.Future[int]:
    holder = run.locks.enter_context(psycopg.connect(run.ledger_url, autocommit=True))
    run.upstream.before_accept = lambda: holder.execute(
        "SELECT pg_advisory_lock(%s)", (APPEND_LOCK,)
    )
    client = sending(run, raw)
    await asyncio.to_thread(wait_for_waiter, run.ledger_url, "advisory")
    return client


async def at_quarantine_write(run: Run, raw: bytes) -> asyncio.Future[int]:
    run.locks.enter_context(sqlite_write_lock(run.q_db))
    before = {p.name for p in run.q_dir.glob("*.msg")}
    client = sending(run, raw)
    await asyncio.to_thread(wait_for_file, run.q_dir, "*.msg", before)
    return client


STEPS = [
    Step(
        "connection, greeting sent",
        "client stops after the 220",
        in_session("greeting"),
        first_on_term=421,
    ),
    Step("MAIL accepted", "client stops after MAIL's 250", in_session("MAIL"), first_on_term=421),
    Step("RCPT accepted", "client stops after RCPT's 250", in_session("RCPT"), first_on_term=421),
    Step("DATA receipt", "client sends half the content", in_session("DATA"), first_on_term=451),
    Step(
        "screening",
        "the history read waits on a table lock",
        waiting_on_table("ledger_index_state", "%indexed_through%"),
    ),
    Step(
        "ledger intent",
        "its INSERT waits on a table lock",
        waiting_on_table("ledger_intents", "%ledger_intents%"),
    ),
    Step(
        "relay",
        "upstream holds the RCPT (content not sent)",
        at_relay,
        expect=(1, 0, 2),
        first_on_term=451,  # the held RCPT is let go with 451 (then the retry)
    ),
    Step(
        "ledger record",
        "upstream said 250; append waits on the chain lock",
        at_record,
        expect=(2, 0, 2),
    ),
    Step(
        "quarantine write",
        "file sealed; its row waits on the database",
        at_quarantine_write,
        held=True,
        expect=(0, 1, 0),
    ),
    Step(
        "notice to the sender",
        "held; the upstream holds the notice",
        at_notice,
        held=True,
        expect=(0, 1, 0),
    ),
]
QUICK = ("DATA receipt", "ledger intent", "quarantine write")


@pytest.fixture(scope="module", autouse=True)
def print_table() -> Iterator[None]:
    """At the end: the table, printed (seen with -s) and, when PIIGATE_KILL_TABLE names a
    file, written there (`make faults` prints it)."""
    yield
    header = (
        "| signal | at | reached by | first reply | after retry | delivered | held "
        "| ledger records |"
    )
    show_table(header, [account.line() for account in TABLE], "PIIGATE_KILL_TABLE")


TABLE: list[Account] = []


@pytest.mark.parametrize(
    "sig",
    [
        signal.SIGKILL,
        pytest.param(
            signal.SIGTERM,
            marks=pytest.mark.skipif(
                not os.environ.get("PIIGATE_KILL_TABLE"), reason="SIGTERM at each step: make faults"
            ),
        ),
    ],
)
async def test_killed_or_stopped_at_each_step_a_message_is_accounted_for(
    sig: signal.Signals, tmp_path: Path, postgres_url: str
) -> None:
    """Killed (or stopped with SIGTERM, the step let go within the grace period) at each
    step — all ten under `make faults`, QUICK's kill -9 otherwise — and started again, the
    gate ends with each message delivered or held once as its step expects (only the
    upstream's 250 before the client's gives two deliveries), one ledger record per delivery
    (plus the unconfirmed one an intent leaves once the upstream was reached), and no file in
    the quarantine folder without its row."""
    steps = [s for s in STEPS if os.environ.get("PIIGATE_KILL_TABLE") or s.name in QUICK]
    q_dir, q_db = tmp_path / "q", tmp_path / "quarantine.db"
    handler = HoldingUpstream()
    port = free_port()
    with (tmp_path / "serve.log").open("w") as log:
        async with upstream_server(handler) as upstream:
            env = gate_env(tmp_path, postgres_url, q_db)

            async def start() -> subprocess.Popen[str]:
                proc = spawn_serve(tmp_path, port, upstream, env, stderr=log)
                await asyncio.to_thread(wait_for_port, port, proc, 180)
                return proc

            run = Run(HostPort("127.0.0.1", port), handler, postgres_url, q_dir, q_db)
            accounts = await stop_at_each(steps, run, start, sig)
            tally(accounts, handler, postgres_url, q_db)
    TABLE.extend(account for account, _ in accounts)
    for step, (account, _) in zip(steps, accounts, strict=True):
        first = 421 if sig is signal.SIGKILL else step.first_on_term
        assert (account.first, account.retried) == (first, 250), account
        assert (account.delivered, account.held, account.records) == step.expected(sig), account
    assert orphans(q_dir, q_db) == []


def gate_env(tmp_path: Path, ledger_url: str, q_db: Path) -> dict[str, str]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "audit.yaml").write_text(RULES)
    return {
        **serve_env(tmp_path),
        "PIIGATE_LEDGER__URL": ledger_url,
        "PIIGATE_LEDGER__KEY": "cd" * 32,
        "PIIGATE_QUARANTINE__KEY": "ab" * 32,
        "PIIGATE_QUARANTINE__URL": f"sqlite:///{q_db}",
        "PIIGATE_RULES_DIR": str(rules),
        "PIIGATE_SMTP__SHUTDOWN_GRACE": "5",
    }


async def stop_at_each(
    steps: list[Step],
    run: Run,
    start: Callable[[], Awaitable[subprocess.Popen[str]]],
    sig: signal.Signals,
) -> list[tuple[Account, bytes]]:
    """For each step: a message brought to it, the gate sent ``sig``, the locks and the
    upstream let go (for SIGTERM half a second later, within the grace period; for SIGKILL
    once the gate is dead and its statements cancelled), the gate started again, the message
    retried if it got 4xx. The last gate is stopped (SIGTERM)."""
    accounts = []
    proc = await start()
    try:
        for n, step in enumerate(steps):
            _, raw = victim(f"{sig.name} {step.name}", n, (BINARY,) if step.held else ())
            client = await step.reach(run, raw)
            proc.send_signal(sig)
            if sig is signal.SIGTERM:
                await asyncio.sleep(0.5)
                let_go(run)
            await asyncio.to_thread(proc.wait, 60)
            # A killed gate's statements are cancelled (not left to commit) before the locks
            # go: PostgreSQL notices the client is gone (dialects.CLIENT_CHECK_MS).
            await asyncio.to_thread(wait_for_waiter, run.ledger_url, waiting=False)
            let_go(run)
            first = await asyncio.wait_for(client, 60)
            come_back_later(run.q_dir)
            proc = await start()
            final = first if first == 250 else await retry(run.address, raw)
            accounts.append((Account(sig.name, step.name, step.reached_by, first, final), raw))
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 60)
    finally:
        run.locks.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return accounts


def let_go(run: Run) -> None:
    run.locks.close()
    run.upstream.reset()


def come_back_later(q_dir: Path) -> None:
    """The gate starts again ORPHAN_AGE later (the quarantine folder's file times moved back),
    so what the killed gate left there may be cleared."""
    past = time.time() - ORPHAN_AGE.total_seconds() - 60
    for path in q_dir.glob("*") if q_dir.is_dir() else ():
        os.utime(path, (past, past))


async def retry(address: HostPort, raw: bytes) -> int:
    """As an MTA after a lost connection or a 4xx: again, a few times."""
    code = 421
    for _ in range(3):
        code = await try_send(address, raw)
        if not 400 <= code < 500:
            break
        await asyncio.sleep(0.5)
    return code

"""The ledger behind the real gate: records written through SMTP, two gate instances on one
PostgreSQL ledger, the HMAC key required at start-up, and the keyless history for scan."""

from __future__ import annotations

import asyncio
import hashlib
import random
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from piigate.config import Settings
from piigate.errors import ConfigError, LedgerError
from piigate.model import Envelope
from piigate.pipeline import Screener, build_gate, build_screener
from piigate.record import EmptyHistory, build_record, history_for_scan, ledger_for, open_ledger
from piigate.record.form import form_text
from piigate.record.identity import ssn_key
from tests.conftest import RunningGate, Sink, _send, send, settings_for, start_gate
from tests.integration.test_cli import run_cli
from tests.synthetic import message, ssn

PER_GATE = 200
SENDERS_PER_GATE = 4


@pytest.fixture
def rng() -> random.Random:
    return random.Random(552)


def ledger_settings(settings: Settings, **update: object) -> Settings:
    return settings.model_copy(update={"ledger": settings.ledger.model_copy(update=update)})


@pytest.fixture
def delivering(
    shipped_settings: Settings, tmp_path: Path, sink: Sink, delivering_rules: Path
) -> Settings:
    """Settings for a gate relaying to the sink whose rules deliver PII (so it is recorded)."""
    return settings_for(shipped_settings, tmp_path, sink.address, rules_dir=delivering_rules)


async def stop(running: RunningGate) -> None:
    await running.server.stop(grace=5)
    running.gate.close()


async def test_gate_record_holds_the_accounting_and_finds_the_person(
    delivering: Settings, rng: random.Random
) -> None:
    """A delivered disclosure's record names the agency from the config, lists the
    attachment and the part that could not be inspected, and is found by accounting for one
    of the SSNs it carried (hashed with the ledger key)."""
    settings = ledger_settings(delivering, agencies={"fbi.gov": "Federal Bureau of Investigation"})
    values = [ssn(rng) for _ in range(2)]
    raw = message(
        body=f"SSN {values[0]}\n",
        attachments=(
            ("list.csv", f"name,ssn\nA,{values[1]}\n".encode(), "text/csv"),
            ("blob.bin", bytes(rng.randrange(256) for _ in range(512)), "application/octet-stream"),
        ),
    )
    running = await start_gate(settings)
    try:
        code, reply = await send(running.address, raw)
        assert code == 250, reply
        (record,) = running.records()
        found = running.gate.ledger.accounting(ssn_key(values[1]))
    finally:
        await stop(running)
    assert record.recipients[0].agency == "Federal Bureau of Investigation"
    assert [(a.name, a.inspected) for a in record.attachments] == [
        ("list.csv", True),
        ("blob.bin", False),
    ]
    assert record.uninspected == ("attachment blob.bin",)
    assert record.individuals == 2
    assert record.outcome == "delivered" and record.case_id is None
    assert [r.id for r in found] == [record.id]


@pytest.mark.postgres
async def test_two_gates_on_one_postgres_ledger_lose_and_duplicate_nothing(
    delivering: Settings, sink: Sink, tmp_path: Path, postgres_url: str, rng: random.Random
) -> None:
    """Two gate instances, 200 messages each through real SMTP, appending concurrently to one
    PostgreSQL ledger: 400 records, one per message, ids 1..400, the chain verifies, and
    each person's accounting finds their one record (both gates indexing meanwhile)."""
    base = delivering
    screener = build_screener(base)
    gates = []
    for n in (1, 2):
        settings = ledger_settings(base, url=postgres_url, journal=tmp_path / f"j{n}")
        gates.append(await start_gate(settings, screener))
    people = [ssn(rng) for _ in range(2 * PER_GATE)]
    bodies = [f"Note {i}: SSN {person}\n" for i, person in enumerate(people)]
    queue: asyncio.Queue[tuple[RunningGate, bytes]] = asyncio.Queue()
    for i, body in enumerate(bodies):
        queue.put_nowait((gates[i % 2], message(subject=f"Case note {i}", body=body)))
    codes: list[int] = []
    # The clients get threads of their own: in the default pool they would starve the
    # gates' scans and ledger writes, which share this process.
    clients = ThreadPoolExecutor(2 * SENDERS_PER_GATE)
    loop = asyncio.get_running_loop()

    async def sender() -> None:
        while not queue.empty():
            running, raw = queue.get_nowait()
            reply = await loop.run_in_executor(
                clients, _send, running.address, "alice@dhs.gov", ["bob@fbi.gov"], raw, []
            )
            codes.append(reply[0])

    try:
        await asyncio.gather(*(sender() for _ in range(2 * SENDERS_PER_GATE)))
        records = gates[0].records()
        verification = gates[1].gate.ledger.verify()
        ledger = gates[0].gate.ledger
        found = [[r.id for r in ledger.accounting(ssn_key(p))] for p in people[::40]]
    finally:
        clients.shutdown()
        for running in gates:
            await stop(running)
    assert codes == [250] * len(bodies)
    assert len(sink.messages) == len(bodies)
    assert [r.id for r in records] == list(range(1, len(bodies) + 1))
    assert len({r.message_id for r in records}) == len(bodies)
    assert {r.sha256 for r in records} == {
        hashlib.sha256(m.content).hexdigest() for m in sink.messages
    }
    assert verification.intact and verification.checked == len(bodies)
    assert [len(ids) for ids in found] == [1] * len(found)
    assert len({ids[0] for ids in found}) == len(found)


def test_gate_refuses_to_start_without_the_ledger_key(
    shipped_settings: Settings, tmp_path: Path, sink: Sink
) -> None:
    """No key file and no PIIGATE_LEDGER__KEY: building the gate is a one-line ConfigError
    that says how to fix it; a malformed key is refused too."""
    settings = settings_for(shipped_settings, tmp_path, sink.address)
    missing = ledger_settings(settings, key_file=tmp_path / "nowhere.key")
    with pytest.raises(
        ConfigError, match=r"ledger.key_file: .* does not exist; run `piigate keys init`"
    ):
        build_gate(missing)
    (tmp_path / "short.key").write_text("abcd\n")
    with pytest.raises(ConfigError, match="expected 64 hex digits"):
        build_gate(ledger_settings(settings, key_file=tmp_path / "short.key"))


def test_serve_without_ledger_key_is_a_one_line_error(tmp_path: Path) -> None:
    """`piigate serve` with the quarantine key but no ledger key exits 2 with one line."""
    env = {
        "PIIGATE_LEDGER__URL": f"sqlite:///{tmp_path}/l.db",
        "PIIGATE_QUARANTINE__KEY": "ab" * 32,
        "PIIGATE_LISTEN": "127.0.0.1:0",
    }
    result = run_cli("serve", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "piigate: error: ledger.key_file: var/piigate/keys/ledger.key does not exist; "
        "run `piigate keys init` or set PIIGATE_LEDGER__KEY"
    ]


def test_keys_init_creates_both_keys_owner_only(tmp_path: Path) -> None:
    """`piigate keys init` creates the quarantine and the ledger key, mode 0600, says where,
    and keeps existing keys on a second run."""
    first = run_cli("keys", "init", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    ledger_key = tmp_path / "var/piigate/keys/ledger.key"
    assert ledger_key.stat().st_mode & 0o777 == 0o600
    assert "ledger key: var/piigate/keys/ledger.key (created)" in first.stdout
    content = ledger_key.read_text()
    second = run_cli("keys", "init", cwd=tmp_path)
    assert "ledger key: var/piigate/keys/ledger.key (exists, kept)" in second.stdout
    assert ledger_key.read_text() == content


def test_history_for_scan_needs_no_key(
    shipped_settings: Settings, tmp_path: Path, sink: Sink, rng: random.Random
) -> None:
    """Without a key (or without a ledger) scan gets an empty history and a note saying why,
    and no ledger file is created; with both it gets the ledger's answers."""
    settings = settings_for(shipped_settings, tmp_path, sink.address)
    keyless = ledger_settings(settings, key_file=tmp_path / "none.key")
    history, opened, note = history_for_scan(keyless)
    assert isinstance(history, EmptyHistory) and opened is None
    assert note is not None and "empty history" in note and "\n" not in note
    history, opened, note = history_for_scan(settings)
    assert isinstance(history, EmptyHistory) and "does not exist" in (note or "")
    assert not (tmp_path / "ledger.db").exists()
    person = ssn_key(ssn(rng))
    ledger = ledger_for(settings)
    ledger.close()
    history, opened, note = history_for_scan(settings)
    assert opened is not None and note is None
    try:
        assert history.organizations_for(frozenset({person})) == {}
    finally:
        opened.close()


@pytest.mark.postgres
async def test_postgres_connection_killed_is_remade(
    delivering: Settings, postgres_url: str, rng: random.Random
) -> None:
    """When the server ends the gate's connection (a restart, a failover), the next message
    finds a new connection: delivered and recorded, no 451."""
    running = await start_gate(ledger_settings(delivering, url=postgres_url))
    try:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        code, reply = await send(running.address, message(body=f"SSN {ssn(rng)}\n"))
        assert code == 250, reply
        assert len(running.records()) == 1
    finally:
        await stop(running)


@pytest.mark.postgres
async def test_postgres_gone_gives_451_and_relays_nothing(
    delivering: Settings, sink: Sink, postgres_database: str, rng: random.Random
) -> None:
    """The ledger's database disappears under a running gate (dropped, connections ended):
    the client gets 451 naming the ledger, and nothing with PII leaves."""
    admin_url = postgres_database.rsplit("/", 1)[0] + "/postgres"
    name = f"piigate_gone_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    running = await start_gate(ledger_settings(delivering, url=url))
    try:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        code, reply = await send(running.address, message(body=f"SSN {ssn(rng)}\n"))
    finally:
        await running.server.stop(grace=5)
        running.gate.close()
    assert code == 451 and "ledger" in reply
    assert sink.messages == []


def test_release_from_quarantine_is_recorded_with_who_and_why(
    screener: Screener, tmp_path: Path, rng: random.Random
) -> None:
    """A release builds a record naming the analyst and the reason (a release without a
    name is refused), and the form shows them; the hash of the relayed bytes is kept."""
    raw = message(body=f"SSN {ssn(rng)}\n")
    screening = screener.screen(Envelope("alice@dhs.gov", ("bob@fbi.gov",)), raw)
    ledger = open_ledger(f"sqlite:///{tmp_path}/l.db", bytes(32), journal=tmp_path / "j")
    domains = screener.policy.domains
    try:
        with pytest.raises(LedgerError, match="who released it"):
            build_record(screening, raw, outcome="released", domains=domains, ledger=ledger)
        record = build_record(
            screening,
            raw,
            outcome="released",
            domains=domains,
            ledger=ledger,
            released_by="analyst@dhs.gov",
            release_reason="sharing agreement verified",
        )
        shown = form_text(ledger.record(ledger.append(record)))
    finally:
        ledger.close()
    assert "released from quarantine by analyst@dhs.gov: sharing agreement verified" in shown
    assert hashlib.sha256(raw).hexdigest() in shown

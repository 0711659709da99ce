"""The fault catalogue: each fault is played against a real gate (with /metrics), a real sink
and the real ledger in PostgreSQL, the upstream and the database reached through a real TCP
proxy that can hang, refuse, slow down or cut the line (tests/faultproxy.py).

Each scenario sends its "victim" messages (an SSN to an outside recipient, delivered under
audit rules, so every delivery needs a disclosure record) while the fault is on, with another
client sending clean mail alongside; then the fault is cleared and every 4xx is retried, as
an MTA would. It must end with every victim accounted for exactly once — delivered once with
one disclosure record, or held once — and the other client answered within LATENCY_BUDGET.
`make faults` runs this module with -s and prints the table (copied into the README).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import smtplib
import ssl
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from piigate.config import HostPort, Settings
from piigate.pipeline import Screener, build_screener
from piigate.receive.auth import hash_password
from piigate.record.ledger import open_ledger
from tests.conftest import Sink, settings_for
from tests.fault_harness import (
    TABLE,
    UNREADABLE,
    VICTIMS,
    Row,
    Stage,
    account,
    assert_accounted,
    nothing,
    play,
    show_table,
    switch_to,
    try_send,
    victim,
)
from tests.faultproxy import ProxyThread
from tests.integration.certs import make_pki
from tests.integration.mta import free_port, wait_for_port
from tests.integration.service import metric, running_service, smtp_address
from tests.integration.test_cli import serve_env, spawn_serve
from tests.integration.test_scale_out import RULES as AUDIT_RULES  # deliver PII, hold unreadable

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module", autouse=True)
def print_table() -> Iterator[None]:
    """At the end: the table, printed (seen with -s) and, when PIIGATE_FAULTS_TABLE names a
    file, written there (`make faults` prints that file)."""
    yield
    header = (
        "| fault | first replies | delivered once | held once | ledger records | lost "
        "| duplicated | other client's slowest reply (ms) |"
    )
    show_table(header, [row.line() for row in TABLE], "PIIGATE_FAULTS_TABLE")


@pytest.fixture(scope="module")
def audit_screener(
    shipped_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Screener]:
    """The detector with AUDIT_RULES, built once for the module."""
    rules = tmp_path_factory.mktemp("rules-faults")
    (rules / "faults.yaml").write_text(AUDIT_RULES)
    screener = build_screener(shipped_settings.model_copy(update={"rules_dir": rules}))
    yield screener
    screener.close()


@pytest.fixture
async def stage(
    shipped_settings: Settings,
    tmp_path: Path,
    audit_screener: Screener,
    sink: Sink,
    postgres_url: str,
) -> AsyncIterator[Callable[..., Any]]:
    """Start a gate whose upstream and ledger are behind fault proxies."""
    proxies: list[ProxyThread] = []
    screener = audit_screener

    @contextlib.asynccontextmanager
    async def start(sections: dict[str, Any] | None = None, **smtp: Any) -> AsyncIterator[Stage]:
        upstream = ProxyThread(sink.address.host, sink.address.port)
        host_port = postgres_url.split("@", 1)[1].split("/", 1)[0]
        pg_host, pg_port = host_port.rsplit(":", 1)
        ledger = ProxyThread(pg_host, int(pg_port))
        proxies.extend((upstream, ledger))
        up_port, pg_proxy = upstream.start(), ledger.start()
        base = settings_for(shipped_settings, tmp_path, HostPort("127.0.0.1", up_port))
        settings = base.model_copy(
            update={
                "ledger": base.ledger.model_copy(
                    update={"url": postgres_url.replace(host_port, f"127.0.0.1:{pg_proxy}")}
                ),
                "upstream_smtp": base.upstream_smtp.model_copy(
                    update={"timeout": 2.0, "pool_size": 0}
                ),
                "smtp": base.smtp.model_copy(update=smtp),
                **{
                    name: getattr(base, name).model_copy(update=fields)
                    for name, fields in (sections or {}).items()
                },
            }
        )
        async with running_service(settings, screener) as service:
            yield Stage(service, sink, upstream, ledger)

    yield start
    for proxy in proxies:
        proxy.stop()


@pytest.mark.parametrize(
    ("fault", "proxy", "mode"),
    [
        ("upstream refuses connections", "upstream", "refuse"),
        ("upstream hangs (never answers)", "upstream", "silent"),
        ("upstream drops mid-DATA", "upstream", "drop"),
        ("ledger down", "ledger", "down"),
        ("ledger slow (0.3 s per packet)", "ledger", "slow"),
    ],
)
async def test_upstream_and_ledger_faults_lose_and_duplicate_nothing(
    stage: Any, fault: str, proxy: str, mode: str
) -> None:
    """While the upstream or the ledger fails, victims get 451 (or go through slowly), and
    after the fault every one is delivered exactly once, with exactly one record."""
    async with stage() as running:
        target = running.upstream if proxy == "upstream" else running.ledger
        row = await play(running, fault, switch_to(target, mode), switch_to(target, "pass"))
    assert_accounted(row)
    if mode != "slow":
        assert all(code == 451 or code == 421 for code in row.first), row


async def test_a_full_quarantine_disk_is_a_451_and_then_held_once(stage: Any) -> None:
    """Victims to be held (an unreadable 3 MiB attachment) while files cannot grow past
    1 MiB get 451; once space is back each is held exactly once."""
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)

    async def fill() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, hard))

    async def free() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))

    try:
        async with stage() as running:
            row = await play(running, "quarantine disk full", fill, free, (UNREADABLE,))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert row.first == [451] * VICTIMS
    assert row.held == VICTIMS and row.lost == 0 and row.duplicated == 0


async def test_a_hundred_idle_sockets_do_not_shut_out_the_mta(stage: Any) -> None:
    """100 idle connections from one ordinary host (127.0.0.2) take at most their per-address
    share; the agency's MTA (127.0.0.1, trusted) still delivers every victim at once."""
    async with stage(trusted_networks=(IPv4Network("127.0.0.1/32"),)) as running:
        address = smtp_address(running.service)
        sockets = []

        async def flood() -> None:
            for _ in range(100):
                with contextlib.suppress(OSError):
                    sockets.append(
                        await asyncio.open_connection(
                            address.host, address.port, local_addr=("127.0.0.2", 0)
                        )
                    )

        row = await play(running, "100 idle sockets", flood, nothing)
        for _, writer in sockets:
            writer.close()
    assert row.first == [250] * VICTIMS
    assert_accounted(row)


async def test_sigterm_mid_relay_finishes_the_message_once(stage: Any) -> None:
    """SIGTERM's stop while a victim waits on a slow upstream: within the grace period the
    message is finished (250) and reaches the sink once; nothing is lost."""
    async with stage(shutdown_grace=10.0) as running:
        address = smtp_address(running.service)
        running.upstream.set("slow")
        subject, raw = victim("sigterm", 0)
        in_flight = asyncio.create_task(try_send(address, raw))
        await asyncio.sleep(0.5)
        started = time.monotonic()
        await running.service.smtp.stop()
        code = await in_flight
        row = Row(
            "SIGTERM while relaying (last column: time to stop)",
            [code],
            others_ms=(time.monotonic() - started) * 1e3,
        )
        account(running, row, [subject])
        TABLE.append(row)
    assert code == 250 and row.delivered == 1 and row.records == 1


def _guess_passwords(address: HostPort, ca_file: Path, stop: threading.Event) -> int:
    """One brute-forcing client on 127.0.0.2: STARTTLS, then AUTH PLAIN with wrong passwords
    over and over (a new connection when the gate ends one); returns how many it tried."""
    tries = 0
    context = ssl.create_default_context(cafile=str(ca_file))
    while not stop.is_set():
        with (
            contextlib.suppress(OSError, smtplib.SMTPException),
            smtplib.SMTP(
                address.host, address.port, timeout=20, source_address=("127.0.0.2", 0)
            ) as client,
        ):
            client.starttls(context=context)
            client.ehlo("guesser")
            while not stop.is_set():
                client.user, client.password = "relay1", f"guess-{tries}"
                tries += 1
                with contextlib.suppress(smtplib.SMTPAuthenticationError):
                    client.auth("PLAIN", client.auth_plain)
    return tries


async def test_auth_brute_force_from_four_clients_does_not_slow_the_mta(
    stage: Any, tmp_path: Path
) -> None:
    """Four clients guessing AUTH passwords as fast as the gate lets them: they are slowed
    and locked out, and the agency's MTA still delivers every victim within the budget."""
    pki = make_pki(tmp_path / "pki")
    auth = tmp_path / "clients.auth"
    auth.write_text(f"relay1:{hash_password('correct horse')}\n")
    sections = {
        "clients": {"networks": (IPv4Network("127.0.0.1/32"),), "auth_file": auth},
        "tls": {"cert_file": pki.cert_file, "key_file": pki.key_file},
    }
    stop = threading.Event()
    guessers: list[asyncio.Future[int]] = []
    async with stage(sections) as running:
        address = smtp_address(running.service)

        async def attack() -> None:
            for _ in range(4):
                guessers.append(
                    asyncio.ensure_future(
                        asyncio.to_thread(_guess_passwords, address, pki.ca_file, stop)
                    )
                )
            await asyncio.sleep(4.0)  # long enough for the address to be locked out

        row = await play(running, "AUTH brute force, 4 clients", attack, nothing)
        stop.set()
        tries = sum(await asyncio.gather(*guessers))
        locked = await metric(running.service, "piigate_smtp_auth_failures_total", reason="locked")
    assert row.first == [250] * VICTIMS
    assert_accounted(row)
    assert tries > 0 and locked > 0


@pytest.mark.skipif(
    not os.environ.get("PIIGATE_FAULTS_TABLE"),
    reason="kill -9 restarts `piigate serve` three times (about 90 s): `make faults` runs it",
)
async def test_kill_9_mid_data_and_mid_relay_loses_and_duplicates_nothing(
    tmp_path: Path, sink: Sink, postgres_url: str
) -> None:
    """`piigate serve` killed with SIGKILL while a client is sending its content, and again
    while a message is on its way to a slow upstream: each client sees its connection lost
    (so keeps the message), and after a restart each message is delivered once, recorded
    once."""
    upstream = ProxyThread(sink.address.host, sink.address.port)
    port, up_port = free_port(), upstream.start()
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "audit.yaml").write_text(AUDIT_RULES)
    env = {
        **serve_env(tmp_path),
        "PIIGATE_LEDGER__URL": postgres_url,
        "PIIGATE_LEDGER__KEY": "cd" * 32,
        "PIIGATE_QUARANTINE__KEY": "ab" * 32,
        "PIIGATE_RULES_DIR": str(rules),
    }
    address = HostPort("127.0.0.1", port)
    victims = [victim("kill -9", n) for n in range(2)]
    row = Row("kill -9 mid-DATA, then mid-relay (last column: time with restarts)")
    started = time.monotonic()
    try:
        for step, (_, raw) in enumerate(victims):
            proc = spawn_serve(tmp_path, port, HostPort("127.0.0.1", up_port), env)
            await asyncio.to_thread(wait_for_port, port, 180)
            if step == 0:  # the client has sent the envelope and half its content
                reader, writer, _ = await open_raw(address)
                writer.write(b"EHLO c\r\nMAIL FROM:<alice@dhs.gov>\r\nRCPT TO:<bob@fbi.gov>\r\n")
                writer.write(b"DATA\r\n" + raw[: len(raw) // 2])
                await writer.drain()
                await asyncio.sleep(0.5)
                proc.send_signal(signal.SIGKILL)
                row.first.append(421 if not (await reader.read()).endswith(b"250") else 250)
                writer.close()
            else:  # the message is on its way to the (slow) upstream
                upstream.set("slow")
                sending = asyncio.create_task(try_send(address, raw))
                await asyncio.sleep(0.5)
                proc.send_signal(signal.SIGKILL)
                row.first.append(await sending)
                upstream.set("pass")
            await asyncio.to_thread(proc.communicate, None, 30)
        proc = spawn_serve(tmp_path, port, HostPort("127.0.0.1", up_port), env)
        await asyncio.to_thread(wait_for_port, port, 180)
        retried = [await try_send(address, raw) for _, raw in victims]
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.communicate, None, 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        upstream.stop()
    row.others_ms = (time.monotonic() - started) * 1000
    subjects = [subject for subject, _ in victims]
    _account_subprocess(row, sink, postgres_url, subjects, tmp_path / "reader-journal")
    TABLE.append(row)
    assert row.first == [421, 421] and retried == [250, 250]
    assert row.delivered == 2 and row.records == 2 and row.duplicated == 0 and row.lost == 0


async def open_raw(address: HostPort) -> tuple[Any, Any, bytes]:
    reader, writer = await asyncio.open_connection(address.host, address.port)
    return reader, writer, await reader.readline()


def _account_subprocess(
    row: Row, sink: Sink, ledger_url: str, subjects: list[str], journal: Path
) -> None:
    """As ``account``, reading the ledger the killed and restarted gates shared."""
    ledger = open_ledger(ledger_url, journal=journal)
    try:
        records = ledger.records()
    finally:
        ledger.close()
    for subject in subjects:
        token = f"Subject: {subject}\r\n".encode()
        delivered = sum(token in m.content for m in sink.messages)
        row.delivered += delivered == 1
        row.duplicated += delivered > 1
        row.lost += delivered == 0
    ids = {m.content.split(b"Message-ID: ")[1].split(b"\r\n")[0] for m in sink.messages}
    row.records = sum(r.message_id.encode() in ids for r in records)

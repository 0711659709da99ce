"""Faults between the gate and the world: every one is a 451 with nothing relayed (or the
message relayed exactly once), counted in /metrics, never a 250 for mail not delivered."""

from __future__ import annotations

import asyncio
import errno
import os
import random
import signal
import smtplib
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from piigate.config import HostPort, Settings
from piigate.pipeline import Screener
from tests.conftest import Sink, send, settings_for, start_sink
from tests.integration.mta import free_port, wait_for_port
from tests.integration.service import (
    healthz,
    http_get,
    metric,
    running_service,
    smtp_address,
)
from tests.synthetic import message, ssn

RNG = random.Random(91)
UNREADABLE = ("data.bin", b"\x00\x01BINARY" + b"\x00" * 64, "application/octet-stream")
"""An attachment the gate cannot read: external mail carrying it is quarantined."""


async def _drop_after_data_command(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """An upstream that accepts the envelope, says 354, then drops the connection mid-DATA."""
    writer.write(b"220 dropper ESMTP\r\n")
    while line := await reader.readline():
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            writer.write(b"250 dropper\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go ahead\r\n")
            await writer.drain()
            await reader.readline()  # the first line of content, then hang up
            writer.transport.abort()
            return
        else:
            writer.write(b"250 OK\r\n")
        await writer.drain()


@pytest.fixture
async def dropper() -> AsyncIterator[HostPort]:
    server = await asyncio.start_server(_drop_after_data_command, "127.0.0.1", 0)
    yield HostPort("127.0.0.1", server.sockets[0].getsockname()[1])
    server.close()
    await server.wait_closed()


async def test_upstream_dropping_the_connection_mid_data_gives_451(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, dropper: HostPort
) -> None:
    """An upstream that hangs up in the middle of DATA is a temporary failure: 451, counted
    as an upstream error, so the sending MTA retries."""
    settings = settings_for(shipped_settings, tmp_path, dropper)
    async with running_service(settings, screener) as service:
        code, reply = await send(smtp_address(service), message())
        assert code == 451 and "next mail server" in reply
        assert await metric(service, "piigate_upstream_errors_total", kind="temporary") == 1
        assert await metric(service, "piigate_smtp_replies_total", code="451") == 1


async def test_upstream_that_hangs_times_out_with_451(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """An upstream that never answers DATA is given up after upstream_smtp.timeout: 451."""
    sink.handler.delay = 5.0
    upstream = shipped_settings.upstream_smtp.model_copy(update={"timeout": 0.5})
    settings = settings_for(shipped_settings, tmp_path, sink.address, upstream_smtp=upstream)
    async with running_service(settings, screener) as service:
        started = asyncio.get_running_loop().time()
        code, _ = await send(smtp_address(service), message())
        assert code == 451
        assert asyncio.get_running_loop().time() - started < 4.5
        assert await metric(service, "piigate_upstream_errors_total", kind="temporary") == 1


async def test_quarantine_disk_full_gives_451_and_holds_nothing(
    shipped_settings: Settings,
    tmp_path: Path,
    screener: Screener,
    sink: Sink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the quarantine's disk is full (ENOSPC, injected: a full disk cannot be made on
    demand here) a message to be held is answered 451: never a 250 for mail not stored."""
    settings = settings_for(shipped_settings, tmp_path, sink.address)

    def disk_full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr("piigate.quarantine.sealed._write_durably", disk_full)
    async with running_service(settings, screener) as service:
        code, reply = await send(smtp_address(service), message(attachments=(UNREADABLE,)))
        assert code == 451 and "quarantine" in reply
        assert sink.messages == []
        assert await metric(service, "piigate_quarantine_depth") == 0


async def test_metrics_count_verdicts_rules_and_scan_time(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """/metrics counts messages by verdict and disposition, violations by rule id, scan
    times in the histogram, and the quarantine's depth; no label carries a value from mail."""
    settings = settings_for(shipped_settings, tmp_path, sink.address)
    value = ssn(RNG)
    async with running_service(settings, screener) as service:
        address = smtp_address(service)
        assert (await send(address, message()))[0] == 250
        assert (await send(address, message(body=f"SSN {value}\n")))[0] == 550
        assert (await send(address, message(attachments=(UNREADABLE,))))[0] == 250
        counts = {
            (verdict, disposition): await metric(
                service, "piigate_messages_total", verdict=verdict, disposition=disposition
            )
            for verdict, disposition in (
                ("deliver", "delivered"),
                ("reject", "refused"),
                ("quarantine", "quarantined"),
            )
        }
        assert set(counts.values()) == {1.0}
        rule = await metric(
            service, "piigate_rule_violations_total", rule="unencrypted-sensitive-pii"
        )
        assert rule == 1
        assert await metric(service, "piigate_scan_seconds_count") == 3
        assert await metric(service, "piigate_quarantine_depth") == 1
        _, body = await http_get(service, "/metrics")
        assert value.encode() not in body and b"fbi.gov" not in body


async def test_sigterm_mid_message_finishes_it_then_accepts_nothing(tmp_path: Path) -> None:
    """SIGTERM to `piigate serve` while a message is being relayed: that message still gets
    its 250 and reaches the sink exactly once, new connections are refused, exit status 0."""
    sink = await start_sink()
    sink.handler.delay = 2.0
    port = free_port()
    env = {
        **os.environ,
        "PIIGATE_LEDGER__URL": f"sqlite:///{tmp_path}/l.db",
        "PIIGATE_QUARANTINE__KEY": "ab" * 32,
        "PIIGATE_LEDGER__KEY": "cd" * 32,
        "PIIGATE_QUARANTINE__DIR": str(tmp_path / "q"),
        "PIIGATE_HTTP__LISTEN": "127.0.0.1:0",
    }
    command = [sys.executable, "-m", "piigate", "serve", "--listen", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(
        [*command, "--upstream", str(sink.address)],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        await asyncio.to_thread(wait_for_port, port, 120)
        in_flight = asyncio.create_task(send(HostPort("127.0.0.1", port), message()))
        await asyncio.sleep(1.0)  # the message is now waiting on the slow upstream
        proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.3)
        with pytest.raises((OSError, smtplib.SMTPException)):
            await send(HostPort("127.0.0.1", port), message())
        code, reply = await in_flight
        _, stderr = await asyncio.to_thread(proc.communicate, None, 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        await sink.stop()
    assert code == 250, reply
    assert len(sink.messages) == 1
    assert proc.returncode == 0, stderr


async def test_healthz_reports_each_part_and_turns_503_when_the_ledger_is_gone(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """/healthz is 200 with smtp and ledger ok; with the ledger unusable it is 503 naming the
    ledger, and its body carries the error's type only."""
    settings = settings_for(shipped_settings, tmp_path, sink.address)
    async with running_service(settings, screener) as service:
        assert await healthz(service) == (
            200,
            {"status": "ok", "checks": {"smtp": "ok", "ledger": "ok"}},
        )
        service.gate.close()
        status, body = await healthz(service)
        assert status == 503
        assert body["checks"] == {"smtp": "ok", "ledger": "LedgerError"}


async def test_healthz_is_503_once_the_gate_stops_accepting_mail(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """While SIGTERM's grace period runs, /healthz says smtp is not accepting (503), so a
    load balancer stops sending new sessions."""
    settings = settings_for(shipped_settings, tmp_path, sink.address)
    async with running_service(settings, screener) as service:
        service.smtp.tracker.closing = True
        status, body = await healthz(service)
        assert status == 503 and body["checks"]["smtp"] == "RuntimeError"
        service.smtp.tracker.closing = False

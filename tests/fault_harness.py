"""The fault catalogue's harness (tests/integration/test_fault_catalogue.py): the victims, the
other client, playing a fault on and off, and accounting for every message at the sink, the
quarantine and the ledger."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import smtplib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from piigate.config import HostPort
from piigate.service import Service
from tests.conftest import Sink, send
from tests.faultproxy import ProxyThread
from tests.integration.service import smtp_address
from tests.synthetic import message, ssn

VICTIMS = 3
LATENCY_BUDGET = 10.0
"""Seconds: the other client's slowest reply while a fault is on."""
RNG = random.Random(2020)
UNREADABLE = ("data.bin", b"\x00\x01BINARY" + bytes(3 << 20), "application/octet-stream")


@dataclass
class Row:
    fault: str
    first: list[int] = field(default_factory=list)
    delivered: int = 0
    held: int = 0
    records: int = 0
    lost: int = 0
    duplicated: int = 0
    others_ms: float = 0.0

    def line(self) -> str:
        first = ", ".join(f"{code} x{self.first.count(code)}" for code in sorted(set(self.first)))
        return (
            f"| {self.fault} | {first} | {self.delivered} | {self.held} | {self.records} | "
            f"{self.lost} | {self.duplicated} | {self.others_ms:.0f} |"
        )


TABLE: list[Row] = []


@dataclass
class Stage:
    service: Service
    sink: Sink
    upstream: ProxyThread
    ledger: ProxyThread


def victim(fault: str, n: int, attachments: tuple[Any, ...] = ()) -> tuple[str, bytes]:
    subject = f"fault {fault} {n}"
    raw = message(subject=subject, body=f"SSN {ssn(RNG)}\n", attachments=attachments)
    return subject, raw


async def other_client(address: HostPort, stop: asyncio.Event) -> list[float]:
    """Clean mail, one after another, until ``stop``: the seconds each reply took."""
    took = []
    while not stop.is_set():
        started = time.monotonic()
        with contextlib.suppress(OSError, smtplib.SMTPException):
            await send(address, message(subject="routine", body="Lunch at noon.\n"))
        took.append(time.monotonic() - started)
        await asyncio.sleep(0.05)
    return took


async def play(
    stage: Stage,
    fault: str,
    during: Callable[[], Awaitable[None]],
    clear: Callable[[], Awaitable[None]],
    attachments: tuple[Any, ...] = (),
) -> Row:
    """Turn the fault on, send the victims (the other client alongside), clear it, retry
    every 4xx, then account for each victim at the sink, the quarantine and the ledger."""
    address = smtp_address(stage.service)
    victims = [victim(fault, n, attachments) for n in range(VICTIMS)]
    row = Row(fault)
    stop = asyncio.Event()
    others = asyncio.create_task(other_client(address, stop))
    await during()
    for _, raw in victims:
        row.first.append(await try_send(address, raw))
    stop.set()
    row.others_ms = max(await others, default=0.0) * 1000
    await clear()
    for (_, raw), first in zip(victims, list(row.first), strict=True):
        code = first
        for _ in range(3):
            if not 400 <= code < 500:
                break
            await asyncio.sleep(0.2)
            code = await try_send(address, raw)
    account(stage, row, [subject for subject, _ in victims])
    TABLE.append(row)
    return row


async def try_send(address: HostPort, raw: bytes) -> int:
    """Send as an MTA would; the reply to DATA (421 when the connection was lost first)."""
    return await asyncio.to_thread(data_reply, address, raw)


def data_reply(address: HostPort, raw: bytes) -> int:
    try:
        client = smtplib.SMTP(address.host, address.port, timeout=30)
    except (OSError, smtplib.SMTPException):
        return 421
    try:
        client.ehlo("mta.test")
        for code, _ in (client.mail("alice@dhs.gov"), client.rcpt("bob@fbi.gov")):
            if code != 250:
                return int(code)
        return int(client.data(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))[0])
    except (OSError, smtplib.SMTPException) as exc:
        return int(getattr(exc, "smtp_code", 421))
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            client.quit()  # a 421 here (the gate is stopping) does not undo the DATA reply
        client.close()


def account(stage: Stage, row: Row, subjects: list[str]) -> None:
    gate = stage.service.gate
    held = [m.subject for m in gate.quarantine.messages(None)]
    records = gate.ledger.records()
    for subject in subjects:
        token = f"Subject: {subject}\r\n".encode()
        delivered = sum(token in m.content for m in stage.sink.messages)
        kept = held.count(subject)
        row.delivered += delivered == 1 and not kept
        row.held += kept == 1 and not delivered
        row.duplicated += delivered + kept > 1
        row.lost += delivered + kept == 0
    message_ids = {
        m.content.split(b"Message-ID: ")[1].split(b"\r\n")[0] for m in stage.sink.messages
    }
    row.records = sum(r.message_id.encode() in message_ids for r in records)


def show_table(header: str, lines: list[str], variable: str) -> None:
    """A Markdown table, printed (seen with -s) and written to the file the environment
    ``variable`` names, if any (`make faults` prints that file)."""
    columns = header.count("|") - 1
    table = "\n".join([header, "|" + "---|" * columns, *lines])
    print("\n" + table)
    if os.environ.get(variable):
        Path(os.environ[variable]).write_text(table + "\n")


def assert_accounted(row: Row) -> None:
    assert row.lost == 0 and row.duplicated == 0, row
    assert row.delivered + row.held == VICTIMS, row
    assert row.records == row.delivered, row
    assert row.others_ms < LATENCY_BUDGET * 1000, row


async def nothing() -> None:
    return None


def switch_to(proxy: ProxyThread, mode: Any) -> Callable[[], Awaitable[None]]:
    async def switch() -> None:
        proxy.set(mode)

    return switch

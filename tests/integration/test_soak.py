"""Soak: many messages from 32 concurrent clients through the gate, a mix of clean,
violating and quarantined mail, with upstream faults injected on a fraction. At the end every
message is accounted for exactly once: delivered at the sink, refused with 5xx, or held in
quarantine; the faulted ones were retried after a 4xx and then delivered once.

`make test` sends PIIGATE_SOAK_MESSAGES (default 640); `make soak` sends 10,000.
"""

from __future__ import annotations

import asyncio
import os
import random
import smtplib
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from piigate.config import HostPort, Settings
from piigate.pipeline import Screener
from tests.conftest import Received, Sink, SinkHandler, SinkSMTP, settings_for, start_gate
from tests.synthetic import message, ssn

pytestmark = pytest.mark.soak

MESSAGES = int(os.environ.get("PIIGATE_SOAK_MESSAGES", "640"))
CLIENTS = 32
FAULT_HEADER = "X-Soak-Fault"
UNREADABLE = ("data.bin", b"\x00\x01BINARY" + b"\x00" * 64, "application/octet-stream")


@dataclass
class FlakyUpstream(SinkHandler):
    """A sink that answers 451 to the first attempt of each message marked for a fault."""

    faulted: set[bytes] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        content: bytes = envelope.original_content
        if FAULT_HEADER.encode() in content:
            key = _message_id(content)
            if key not in self.faulted:
                self.faulted.add(key)
                return "451 4.3.0 injected upstream fault"
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), content, []))
        return "250 2.0.0 OK"


def _message_id(content: bytes) -> bytes:
    for line in content.split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip()
    raise AssertionError("every soak message has a Message-ID")


@dataclass(frozen=True)
class Planned:
    number: int
    kind: str  # clean, violating, quarantined
    faulted: bool
    raw: bytes


def plan(rng: random.Random) -> list[Planned]:
    planned = []
    for number in range(MESSAGES):
        kind = rng.choices(["clean", "violating", "quarantined"], [0.7, 0.2, 0.1])[0]
        faulted = kind == "clean" and rng.random() < 0.05
        body = f"Message {number}.\n" + ("Notes follow.\n" * rng.randint(1, 40))
        attachments: tuple[tuple[str, bytes, str], ...] = ()
        if kind == "violating":
            body += f"SSN {ssn(rng)}\n"
        elif kind == "quarantined":
            attachments = (UNREADABLE,)
        raw = message(subject=f"soak {number}", body=body, attachments=attachments)
        raw = raw.replace(b"Message-ID: ", f"{FAULT_HEADER}: 1\nMessage-ID: ".encode(), 1)
        if not faulted:
            raw = raw.replace(f"{FAULT_HEADER}: 1\n".encode(), b"", 1)
        raw = _with_id(raw, number)
        planned.append(Planned(number, kind, faulted, raw))
    return planned


def _with_id(raw: bytes, number: int) -> bytes:
    head, _, rest = raw.partition(b"Message-ID: ")
    _, _, tail = rest.partition(b"\n")
    return head + f"Message-ID: <soak-{number}@dhs.gov>\n".encode() + tail


def client(address: HostPort, work: list[Planned]) -> dict[int, list[int]]:
    """One SMTP client on one connection: send each message, retrying after a 4xx."""
    replies: dict[int, list[int]] = {}
    with smtplib.SMTP(address.host, address.port, timeout=120) as smtp:
        for item in work:
            codes = replies.setdefault(item.number, [])
            for _ in range(5):
                try:
                    smtp.sendmail("alice@dhs.gov", ["bob@fbi.gov"], item.raw)
                    codes.append(250)
                except smtplib.SMTPDataError as exc:
                    codes.append(exc.smtp_code)
                if codes[-1] < 400 or codes[-1] >= 500:
                    break
    return replies


async def test_soak_every_message_accounted_for_exactly_once(
    shipped_settings: Settings, tmp_path: Path, screener: Screener
) -> None:
    """MESSAGES messages from 32 clients: clean ones delivered exactly once (the faulted ones
    after one 451 and a retry), violating ones refused with 550, the rest held once each."""
    handler = FlakyUpstream()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SinkSMTP(handler, decode_data=False, hostname="sink"), "127.0.0.1", 0
    )
    sink = Sink(handler, server, HostPort("127.0.0.1", server.sockets[0].getsockname()[1]))
    settings = settings_for(shipped_settings, tmp_path, sink.address)
    running = await start_gate(settings, screener)
    planned = plan(random.Random(10_000))
    shares = [planned[i::CLIENTS] for i in range(CLIENTS)]
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [
                loop.run_in_executor(pool, client, running.address, share) for share in shares
            ]
            results = await asyncio.gather(*futures)
        held = running.gate.quarantine.messages()
    finally:
        await running.server.stop(grace=10)
        running.gate.close()
        await sink.stop()
    replies = {number: codes for result in results for number, codes in result.items()}
    delivered = Counter(
        _message_id(m.content) for m in sink.messages if m.rcpt_tos == ["bob@fbi.gov"]
    )
    notices = [m for m in sink.messages if m.rcpt_tos == ["alice@dhs.gov"]]
    by_kind = Counter(p.kind for p in planned)
    assert len(replies) == MESSAGES
    for item in planned:
        codes = replies[item.number]
        key = f"<soak-{item.number}@dhs.gov>".encode()
        if item.kind == "violating":
            assert codes == [550] and key not in delivered
        elif item.kind == "quarantined":
            assert codes == [250] and key not in delivered
        elif item.faulted:
            assert codes == [451, 250] and delivered[key] == 1
        else:
            assert codes == [250] and delivered[key] == 1
    assert sum(delivered.values()) == by_kind["clean"]
    assert len(held) == by_kind["quarantined"]
    assert len(notices) == by_kind["quarantined"]  # each sender told of each held message
    assert len(handler.faulted) == sum(p.faulted for p in planned) > 0

"""Where the gate screens: small all-text mail on its event loop, everything else (and any
ledger look-up) in a worker thread, and past scan.timeout a 451 either way. The thread a
stage ran on is observed by wrapping the real detector and the real ledger (the work itself
is unchanged)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from piigate.config import Settings
from piigate.extract import reads_as_text_only
from piigate.parse import parse_message
from piigate.pipeline import Screener
from tests.conftest import RunningGate, Sink, send, settings_for, start_gate
from tests.synthetic import message, ssn

RNG = random.Random(29)
ZIP_BYTES = b"PK\x05\x06" + b"\x00" * 18
"""An empty zip archive: it opens, whatever content type a part gives it."""


def _text_body_carrying_zip() -> bytes:
    return (
        b"From: alice@dhs.gov\r\nTo: bob@fbi.gov\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==\r\n"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (message(body="Plain words.\n"), True),
        (message(body="Plain.\n", html="<p>Also <b>HTML</b>.</p>"), True),
        (message(attachments=(("notes.txt", b"words\n", "text/plain"),)), False),
        (message(attachments=(("a.zip", ZIP_BYTES, "application/zip"),)), False),
        (_text_body_carrying_zip(), False),
    ],
    ids=["plain", "alternative", "text-attachment", "zip-attachment", "zip-in-text-body"],
)
def test_text_only_is_message_text_whose_bytes_open_nothing(raw: bytes, expected: bool) -> None:
    """Only body text and HTML count as text only; an attachment, or a body part whose bytes
    are an archive, does not (its reading cost is not bounded by its size)."""
    assert reads_as_text_only(parse_message(raw)) is expected


class Threads:
    """Names the thread each observed call ran on."""

    def __init__(self) -> None:
        self.seen: dict[str, list[int]] = {}

    def wrap(self, label: str, work: Callable[..., Any]) -> Callable[..., Any]:
        def observed(*args: Any, **kwargs: Any) -> Any:
            self.seen.setdefault(label, []).append(threading.get_ident())
            return work(*args, **kwargs)

        return observed

    def on_loop(self, label: str) -> bool:
        main = threading.main_thread().ident
        return bool(self.seen[label]) and all(ident == main for ident in self.seen[label])


async def _observed_gate(
    settings: Settings, screener: Screener, monkeypatch: pytest.MonkeyPatch
) -> tuple[RunningGate, Threads]:
    running = await start_gate(settings, screener)
    threads = Threads()
    detector = running.gate.screener.detector
    monkeypatch.setattr(detector, "detect", threads.wrap("detect", detector.detect))
    ledger = running.gate.ledger
    monkeypatch.setattr(
        ledger, "organizations_for", threads.wrap("history", ledger.organizations_for)
    )
    return running, threads


@pytest.fixture
def gate_settings(shipped_settings: Settings, tmp_path: Path, sink: Sink) -> Settings:
    return settings_for(shipped_settings, tmp_path, sink.address)


@pytest.mark.parametrize(
    ("raw", "inline_max_bytes", "on_loop"),
    [
        (message(body="Weekly notes.\n"), 16384, True),
        (message(body="Weekly notes.\n"), 0, False),
        (message(body="Weekly notes.\n" * 40), 200, False),
        (message(attachments=(("notes.txt", b"words\n", "text/plain"),)), 16384, False),
    ],
    ids=["small-text", "inline-off", "over-the-size", "attachment"],
)
async def test_small_all_text_mail_is_screened_on_the_event_loop(
    gate_settings: Settings,
    screener: Screener,
    sink: Sink,
    monkeypatch: pytest.MonkeyPatch,
    raw: bytes,
    inline_max_bytes: int,
    on_loop: bool,
) -> None:
    """Detection runs on the event loop only for mail within scan.inline_max_bytes whose
    parts are all text; otherwise in a worker thread. Either way the mail is delivered."""
    scan = gate_settings.scan.model_copy(update={"inline_max_bytes": inline_max_bytes})
    running, threads = await _observed_gate(
        gate_settings.model_copy(update={"scan": scan}), screener, monkeypatch
    )
    try:
        code, reply = await send(running.address, raw, rcpt_tos=("carol@ice.dhs.gov",))
    finally:
        await running.server.stop(grace=5)
        running.gate.close()
    assert code == 250, reply
    assert len(sink.messages) == 1
    assert threads.on_loop("detect") is on_loop


async def test_ledger_history_is_read_in_a_worker_thread(
    gate_settings: Settings, screener: Screener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small text mail with a person's SSN to an outside agency is screened on the loop, but
    the cumulative-exposure look-up in the ledger (I/O) runs in a worker thread."""
    running, threads = await _observed_gate(gate_settings, screener, monkeypatch)
    try:
        code, reply = await send(running.address, message(body=f"SSN {ssn(RNG)}\n"))
    finally:
        await running.server.stop(grace=5)
        running.gate.close()
    assert code == 550, reply  # plain-text SSN to outside: refused, after the look-up
    assert threads.on_loop("detect") and not threads.on_loop("history")


@pytest.mark.parametrize("inline_max_bytes", [16384, 0], ids=["on-the-loop", "in-a-thread"])
async def test_scan_over_time_is_451_wherever_it_ran(
    gate_settings: Settings, sink: Sink, screener: Screener, inline_max_bytes: int
) -> None:
    """A scan longer than scan.timeout is answered 451 and nothing is relayed, whether it ran
    on the event loop (checked when it ends) or in a thread (abandoned at the time limit)."""
    scan = gate_settings.scan.model_copy(
        update={"timeout": 1e-6, "inline_max_bytes": inline_max_bytes}
    )
    running = await start_gate(gate_settings.model_copy(update={"scan": scan}), screener)
    try:
        code, reply = await send(running.address, message())
    finally:
        await running.server.stop(grace=5)
        running.gate.close()
    assert code == 451 and "ran out of time" in reply
    assert sink.messages == []


@pytest.mark.parametrize(
    ("attachment_bytes", "lane"),
    [(3000, "piigate-large"), (200, "asyncio")],
    ids=["large-lane", "default-pool"],
)
async def test_large_mail_is_screened_in_its_own_lane(
    gate_settings: Settings,
    screener: Screener,
    sink: Sink,
    monkeypatch: pytest.MonkeyPatch,
    attachment_bytes: int,
    lane: str,
) -> None:
    """A message of scan.large_min_bytes or more is screened by the large lane's threads,
    a smaller one with an attachment by the event loop's default pool; both are delivered."""
    scan = gate_settings.scan.model_copy(update={"large_min_bytes": 2500, "large_workers": 1})
    running = await start_gate(gate_settings.model_copy(update={"scan": scan}), screener)
    names: list[str] = []
    detector = running.gate.screener.detector
    real_detect = detector.detect

    def observed(*args: Any, **kwargs: Any) -> Any:
        names.append(threading.current_thread().name)
        return real_detect(*args, **kwargs)

    monkeypatch.setattr(detector, "detect", observed)
    attachment = ("notes.txt", b"inventory line\n" * (attachment_bytes // 15), "text/plain")
    try:
        code, reply = await send(running.address, message(attachments=(attachment,)))
    finally:
        await running.server.stop(grace=5)
        running.gate.close()
    assert code == 250, reply
    assert len(sink.messages) == 1
    assert len(names) == 1 and names[0].startswith(lane), names

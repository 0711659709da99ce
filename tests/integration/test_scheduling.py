"""Where the gate screens: small all-text mail on its event loop, everything else (and any
ledger look-up) in a worker thread, and past scan.timeout a 451 either way. The thread a
stage ran on is observed by wrapping the real detector and the real ledger (the work itself
is unchanged)."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from piigate.config import Settings, shipped_dir
from piigate.extract import reads_as_text_only
from piigate.parse import parse_message
from piigate.pipeline import Screener
from tests.conftest import RunningGate, Sink, gate_running, send, settings_for, start_gate
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


def _lane_settings(settings: Settings, large_workers: int = 1) -> Settings:
    """Mail of 2,500 bytes or more screened in the large lane (``large_workers`` processes;
    0: in the gate's own process)."""
    scan = settings.scan.model_copy(
        update={"large_min_bytes": 2500, "large_workers": large_workers}
    )
    return settings.model_copy(update={"scan": scan})


def _large(body: str = "Inventory attached.\n") -> bytes:
    attachment = ("notes.txt", b"inventory line\n" * 200, "text/plain")
    return message(body=body, attachments=(attachment,))


@pytest.mark.parametrize(
    ("body", "rcpt", "code"),
    [
        ("Inventory attached.\n", "carol@ice.dhs.gov", 250),
        (f"SSN {ssn(RNG)}\n", "clerk@example.com", 550),
        (f"SSN {ssn(RNG)}\n", "carol@ice.dhs.gov", 250),
    ],
    ids=["clean", "ssn-outside", "ssn-inside"],
)
async def test_large_mail_is_screened_in_a_lane_process_with_the_inline_verdict(
    gate_settings: Settings,
    screener: Screener,
    sink: Sink,
    monkeypatch: pytest.MonkeyPatch,
    body: str,
    rcpt: str,
    code: int,
) -> None:
    """A message of scan.large_min_bytes or more is screened in a lane worker process (the
    gate's own detector never sees it) and gets the reply a gate screening it in its own
    process gives (large_workers 0), refusal text included."""
    replies = []
    for workers in (1, 0):
        running = await start_gate(_lane_settings(gate_settings, workers), screener)
        threads = Threads()
        detector = running.gate.screener.detector
        monkeypatch.setattr(detector, "detect", threads.wrap("detect", detector.detect))
        try:
            replies.append(await send(running.address, _large(body), rcpt_tos=(rcpt,)))
            lane_pids = running.gate.lanes.pool.pids if running.gate.lanes else frozenset()
        finally:
            await running.server.stop(grace=5)
            running.gate.close()
        assert ("detect" in threads.seen) is (workers == 0)
        assert bool(lane_pids) is (workers == 1)
    assert replies[0][0] == code, replies[0]
    assert replies[0] == replies[1]
    assert len(sink.messages) == (2 if code == 250 else 0)


@pytest.mark.parametrize(
    ("fault", "timeout", "reply_says"),
    [("killed", 30.0, "Temporary failure"), ("stopped", 10.0, "ran out of time")],
    ids=["worker-killed", "worker-past-the-timeout"],
)
async def test_a_lane_worker_lost_mid_message_is_451_and_the_next_message_passes(
    gate_settings: Settings,
    screener: Screener,
    sink: Sink,
    fault: str,
    timeout: float,
    reply_says: str,
) -> None:
    """The lane worker is stopped while it holds a message (so it cannot answer), then
    killed, or left until scan.timeout (the pool kills it then): that message gets a 451 and
    is not relayed; a new worker screens the next message and it is relayed."""
    settings = _lane_settings(gate_settings)
    scan = settings.scan.model_copy(update={"timeout": timeout})
    running = await start_gate(settings.model_copy(update={"scan": scan}), screener)
    lanes = running.gate.lanes
    assert lanes is not None
    try:
        await asyncio.to_thread(running.gate.start_workers)
        (pid,) = lanes.pool.pids
        os.kill(pid, signal.SIGSTOP)
        sending = asyncio.create_task(send(running.address, _large()))
        for _ in range(1000):  # until the message is in the worker's hands
            if lanes.busy or sending.done():
                break
            await asyncio.sleep(0.01)
        assert lanes.busy == 1
        if fault == "killed":
            os.kill(pid, signal.SIGKILL)
        code, reply = await sending
        assert code == 451 and reply_says in reply and sink.messages == [], reply
        code, reply = await send(running.address, _large())
        assert code == 250, reply
        assert len(sink.messages) == 1 and pid not in lanes.pool.pids
    finally:
        await running.server.stop(grace=5)
        running.gate.close()


async def test_a_policy_reload_reaches_the_lane_workers(
    gate_settings: Settings, screener: Screener, tmp_path: Path
) -> None:
    """A rule added to the rules folder and the policy reloaded (SIGHUP) applies to the next
    large message, screened and decided in a lane worker: relayed before, refused after."""
    rules = tmp_path / "rules"
    shutil.copytree(gate_settings.rules_dir, rules)
    config = tmp_path / "piigate.yaml"
    text = (shipped_dir() / "config" / "piigate.yaml").read_text(encoding="utf-8")
    config.write_text(text.replace("rules_dir: ../rules", f"rules_dir: {rules}"), "utf-8")
    settings = _lane_settings(gate_settings.model_copy(update={"rules_dir": rules}))
    rcpts = ("clerk@example.com",)
    async with gate_running(settings, screener) as running:
        code, reply = await send(running.address, _large(), rcpt_tos=rcpts)
        assert code == 250, reply
        with (rules / "default.yaml").open("a", encoding="utf-8") as file:
            file.write(NO_OUTSIDE_MAIL)
        assert running.gate.reload_policy(config)
        code, reply = await send(running.address, _large(), rcpt_tos=rcpts)
        assert code == 550 and "Nothing leaves" in reply, reply


NO_OUTSIDE_MAIL = """
  - id: no-outside-mail
    when: too-many-recipients
    params: {max: 0}
    scope: {external: true}
    action: reject
    message: Nothing leaves the agency today.
"""

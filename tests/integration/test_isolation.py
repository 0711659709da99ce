"""Nothing a file does stops the gate: a reader's panic, an abort, a memory blow-up or a hang
costs that part a verdict (unscannable), never the gate, the SMTP reply or the next message.

The faults are real (a real ``os.abort()``, a real allocation past RLIMIT_AS, a real
BaseException, a real hang) in a reader injected for the PDF kind (``tests.faulty_readers``):
no real file can be made to produce them on demand. Everything else is the real gate."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from piigate.config import Settings
from piigate.extract import registry
from piigate.extract.isolated import IsolatedReading, ReaderTable
from piigate.isolation import WorkerPool
from piigate.model import Action, Envelope
from piigate.pipeline import Screener
from tests import faulty_readers, formats
from tests.conftest import RunningGate, Sink, gate_running, send
from tests.faulty_readers import (
    ABORT,
    HANG,
    HOG,
    LOCKED_ABORT,
    PANIC,
    faulty_pdf_attachment,
)
from tests.integration.service import running_service, smtp_address
from tests.pool_faults import PanicException
from tests.synthetic import message, ssn

RNG = random.Random(1515)
HELD = "Held for privacy review"
ENVELOPE = Envelope("alice@dhs.gov", ("bob@fbi.gov",))


def faulty_screener(screener: Screener, file_seconds: float = 30.0) -> Screener:
    """The shared screener, reading files in a one-worker pool whose PDF reader breaks on
    demand (one worker: every message after a fault proves the worker was replaced)."""
    pool = WorkerPool(1, 512 * 1024 * 1024, file_seconds, preload=("piigate.extract.registry",))
    twin = copy.copy(screener)
    twin.images, twin.readers = None, registry.READERS  # no OCR: the file readers are tested
    twin.isolation = IsolatedReading(
        pool, registry.IN_PROCESS_KINDS, file_seconds, ReaderTable("tests.faulty_readers")
    )
    return twin


@pytest.fixture
def isolated(screener: Screener) -> Iterator[Screener]:
    twin = faulty_screener(screener)
    yield twin
    twin.close()


@pytest.fixture
async def isolated_gate(settings: Settings, isolated: Screener) -> AsyncIterator[RunningGate]:
    async with gate_running(settings, isolated) as running:
        yield running


def leaky_pdf() -> tuple[str, bytes, str]:
    return ("leak.pdf", formats.pdf([f"Employee SSN {ssn(RNG)}"]), "application/pdf")


@pytest.mark.parametrize(
    ("marker", "reason"),
    [
        (PANIC, "the reader failed: it raised PanicException"),
        (ABORT, "the reader failed: the worker died of SIGABRT"),
        (HOG, "reading needed more than 512 MiB"),
    ],
)
def test_a_broken_reader_makes_its_part_unscannable_and_the_rest_is_read(
    isolated: Screener, marker: bytes, reason: str
) -> None:
    """A panic, an abort or a memory blow-up in a worker is a blocking defect naming the
    attachment; the message's other attachment is still read (its SSN found)."""
    raw = message(attachments=(faulty_pdf_attachment(marker), leaky_pdf()))
    screening = isolated.screen(ENVELOPE, raw)
    assert [(d.where, d.reason) for d in screening.extraction.defects] == [
        ("attachment report.pdf", reason)
    ]
    assert [f.where for f in screening.detection.findings] == ["attachment leak.pdf"]
    assert screening.verdict.action is Action.REJECT


@pytest.mark.parametrize("marker", [PANIC, ABORT, HOG])
async def test_a_crash_gets_a_verdict_and_the_next_message_is_screened(
    isolated_gate: RunningGate, sink: Sink, marker: bytes
) -> None:
    """Through SMTP: the message whose reader broke is held (a 250 once stored), and the
    next message, read by the replacement worker, is refused for its SSN as usual."""
    code, reply = await send(
        isolated_gate.address, message(attachments=(faulty_pdf_attachment(marker),))
    )
    assert code == 250 and HELD in reply, reply
    code, reply = await send(isolated_gate.address, message(attachments=(leaky_pdf(),)))
    assert code == 550, reply
    assert [m for m in sink.messages if m.rcpt_tos == ["bob@fbi.gov"]] == []


async def test_a_reader_panic_without_isolation_gets_a_verdict(
    settings: Settings, screener: Screener, sink: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With isolation off, a reader raising a BaseException (a pyo3 panic) in the gate's
    own process still ends in a verdict, and the gate goes on screening."""
    monkeypatch.setitem(registry.READERS, "pdf", faulty_readers.faulty_pdf)
    plain = copy.copy(screener)
    plain.isolation = None
    async with gate_running(settings, plain) as running:
        code, reply = await send(
            running.address, message(attachments=(faulty_pdf_attachment(PANIC),))
        )
        assert code == 250 and HELD in reply, reply
        code, reply = await send(running.address, message(attachments=(leaky_pdf(),)))
        assert code == 550, reply


async def test_a_hanging_reader_costs_one_file_not_another_senders_message(
    settings: Settings, screener: Screener, sink: Sink
) -> None:
    """A reader that hangs is stopped at the per-file limit (its message held), while a
    message sent meanwhile by someone else is screened by the other worker and delivered."""
    twin = faulty_screener(screener, file_seconds=3.0)
    twin.isolation.pool.workers = 2  # type: ignore[union-attr]
    twin.start_workers()  # as the service does when it starts
    async with gate_running(settings, twin) as running:
        hanging = send(running.address, message(attachments=(faulty_pdf_attachment(HANG),)))
        clean = ("notes.pdf", formats.pdf(["Agenda for Tuesday"]), "application/pdf")
        other = send(
            running.address,
            message(sender="carol@dhs.gov", attachments=(clean,)),
            mail_from="carol@dhs.gov",
        )
        (code, reply), (other_code, other_reply) = await asyncio.gather(hanging, other)
        assert code == 250 and HELD in reply, reply
        assert other_code == 250 and "relayed" in other_reply, other_reply
        delivered = [m.mail_from for m in sink.messages if m.rcpt_tos == ["bob@fbi.gov"]]
        assert delivered == ["carol@dhs.gov"]


def test_a_password_in_the_message_opens_a_zip_read_in_the_pool(isolated: Screener) -> None:
    """An encrypted zip is read in a worker; the password given in the body is tried there
    too, and what it opens is screened (the SSN inside is found)."""
    value = ssn(RNG)
    locked = formats.aes_zip({"staff.txt": f"SSN {value}\n".encode()}, "Tulip-2231")
    raw = message(
        body="The password is Tulip-2231\n",
        attachments=(("staff.zip", locked, "application/zip"),),
    )
    screening = isolated.screen(ENVELOPE, raw)
    assert screening.extraction.unscannable == ()
    assert [f.entity_type for f in screening.detection.findings] == ["US_SSN"]
    assert screening.extraction.attachments[0].password_in_message is True


def test_a_decrypter_crashing_on_a_password_costs_that_file_only(isolated: Screener) -> None:
    """A password trial that kills its worker is a blocking defect on that file; the other
    attachment is still screened and the trials go on with the next lock."""
    raw = message(
        body="The password is Tulip-2231\n",
        attachments=(faulty_pdf_attachment(LOCKED_ABORT), leaky_pdf()),
    )
    screening = isolated.screen(ENVELOPE, raw)
    assert [(d.where, d.reason) for d in screening.extraction.unscannable] == [
        (
            "attachment report.pdf",
            "cannot try passwords: the reader failed: the worker died of SIGABRT",
        )
    ]
    assert [f.where for f in screening.detection.findings] == ["attachment leak.pdf"]


def test_scan_of_several_files_screens_the_others_when_one_breaks(
    tmp_path: Path, screener: Screener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``piigate scan`` over three files, the middle one crashing its reader: every file gets
    a line, the broken one held as unscannable, and the exit status is 3 (held)."""
    from click.testing import CliRunner

    from piigate import pipeline
    from piigate.cli import main

    # `scan` imports its screener's builder when it runs (the command starts without it).
    monkeypatch.setattr(pipeline, "build_screener", lambda settings, **_: faulty_screener(screener))
    files = []
    for name, attachments in (
        ("a.eml", ()),
        ("b.eml", (faulty_pdf_attachment(ABORT),)),
        ("c.eml", (leaky_pdf(),)),
    ):
        path = tmp_path / name
        path.write_bytes(message(attachments=attachments))
        files.append(str(path))
    result = CliRunner().invoke(main, ["scan", "--json", *files])
    assert result.exit_code == 3, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["action"] for line in lines] == ["deliver", "quarantine", "reject"]
    assert lines[1]["violations"][0]["rule"] == "unscannable-content"


def _panic(*args: object, **kwargs: object) -> object:
    raise PanicException("a Rust panic")


async def test_a_panic_outside_the_readers_is_a_451_not_silence(
    gate: RunningGate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A BaseException from any library on the screening path (here detection) is answered
    451, like any internal fault, and the next message is screened."""
    monkeypatch.setattr(gate.gate.screener.detector, "detect", _panic)
    code, reply = await send(gate.address, message(body="Lunch on Friday?\n"))
    assert code == 451, reply
    monkeypatch.undo()
    code, reply = await send(gate.address, message(body="Lunch on Friday?\n"))
    assert code == 250 and "relayed" in reply, reply


async def test_the_service_starts_its_workers_once_and_stops_them(
    settings: Settings, screener: Screener, sink: Sink
) -> None:
    """``piigate serve``'s service starts the workers with itself (before any mail), reads
    message after message with the same processes, and leaves none behind when it stops."""
    twin = faulty_screener(screener)
    assert twin.isolation is not None
    async with running_service(settings, twin) as service:
        started = twin.isolation.pool.pids
        assert len(started) == 1
        for _ in range(2):
            code, reply = await send(smtp_address(service), message(attachments=(leaky_pdf(),)))
            assert code == 550, reply
        assert twin.isolation.pool.pids == started
    for pid in started:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)

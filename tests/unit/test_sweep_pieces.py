"""The sweep's pieces without workers: sources told by content, mbox byte ranges that cut
exactly at message boundaries (the same messages as the stdlib's ``mailbox`` reads), the
report's spreadsheet-safe CSV, and the progress shown on a terminal or in the log."""

from __future__ import annotations

import csv
import io
import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from piigate.sweep.progress import Progress
from piigate.sweep.report import MessageTable
from piigate.sweep.sources import ArchivedMessage, mbox_partitions, read_partition, sniff
from piigate.sweep.tally import Tally
from piigate.sweep.work import SweptMessage
from tests.sweep_archive import ordinary_messages, write_mbox


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"From alice@dhs.gov Mon Mar  4 09:00:00 2013\nFrom: a\n", "mbox"),
        (b"Return-Path: <a@dhs.gov>\r\nFrom: a\r\n", "eml"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(8), "msg"),
        (b"!BDN" + bytes(8), "pst"),
        (b"%PDF-1.7\n", "unknown"),
        (b"Dear Bob: hello\n", "unknown"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y\r\n", "unknown"),  # an .ics
        (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Clerk\r\n", "unknown"),  # a .vcf
        (b"X-Mailer: z\nMIME-Version: 1.0\n\nbody\n", "eml"),
    ],
)
def test_a_file_is_told_by_its_content(tmp_path: Path, head: bytes, kind: str) -> None:
    """The name says nothing: an mbox, a message, an Outlook .msg or .pst by their bytes; a
    calendar or contact file, though it starts with a "NAME:value" line, is not a message."""
    path = tmp_path / "export.dat"
    path.write_bytes(head)
    assert sniff(path) == kind


def awkward_messages() -> list[EmailMessage]:
    """Ordinary mail, one with "From " lines in its body (the mbox quotes them as ">From ")."""
    messages = ordinary_messages(12, seed=3)
    messages[5].set_content("Hello\nFrom the field office:\nFrom here on, two lines.\n\n\n")
    return messages


@pytest.mark.parametrize("size", [1, 300, 1500, 10**6])
def test_byte_ranges_hold_exactly_the_messages_mailbox_reads(tmp_path: Path, size: int) -> None:
    """Whatever the range size, the ranges together hold every message once, byte for byte
    as ``mailbox.mbox`` returns it, each starting at its own "From " line."""
    mbox = write_mbox(tmp_path / "sent.mbox", awkward_messages())
    box = mailbox.mbox(mbox)
    expected = [box.get_bytes(key) for key in box.keys()]  # noqa: SIM118
    box.close()
    partitions = mbox_partitions(mbox, size)
    found = [m for p in partitions for m in read_partition(p)]
    assert all(isinstance(m, ArchivedMessage) for m in found)
    assert [m.raw for m in found if isinstance(m, ArchivedMessage)] == expected
    assert len(partitions) == (12 if size == 1 else 1 if size == 10**6 else len(partitions))
    assert size == 10**6 or len(partitions) > 1


def swept(sender: str, message_id: str) -> SweptMessage:
    return SweptMessage(
        location="sent.mbox@0",
        source="sent.mbox",
        message_id=message_id,
        sent="2013-03-04T09:00:00+00:00",
        sender=sender,
        recipients=("x@agency00.gov",),
        recipient_organizations=("agency00.gov",),
        action="reject",
        rules=("unencrypted-sensitive-pii",),
        findings=({"type": "US_SSN", "masked": "***-**-1234", "where": "body"},),
        pii_counts={"US_SSN": 1},
        individuals=1,
        disclosure=True,
        sha256="0" * 64,
        stored_sha256="0" * 64,
    )


def test_the_csv_cannot_run_a_formula_in_a_spreadsheet(tmp_path: Path) -> None:
    """A sender or Message-ID from mail that starts with = + - @ is written inert."""
    table = MessageTable(tmp_path / "messages.csv")
    table.add([swept('=HYPERLINK("http://x")@a.gov', "+cmd|' /C calc'!A0")])
    table.close()
    [row] = list(csv.DictReader(io.StringIO((tmp_path / "messages.csv").read_text())))
    assert row["sender"].startswith("'=")
    assert row["message_id"].startswith("'+")
    assert row["findings"] == "US_SSN ***-**-1234 in body"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_log_lines_otherwise() -> None:
    """On a terminal, a tqdm bar with messages and findings; elsewhere a log line (the last
    partition always gets one)."""
    tally = Tally(partitions=1, seen=40, findings=7)
    screen = Terminal()
    bar = Progress(1, stream=screen)
    bar.update(tally)
    bar.close()
    assert "1/1" in screen.getvalue()
    assert "messages=40" in screen.getvalue()
    assert "findings=7" in screen.getvalue()
    with capture_logs() as logs:
        lines = Progress(1, stream=io.StringIO(), interval=3600)
        lines.update(tally)
    assert [(e["event"], e["messages"], e["findings"]) for e in logs] == [("sweep progress", 40, 7)]

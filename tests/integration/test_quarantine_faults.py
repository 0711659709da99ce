"""The quarantine under faults and hostile headers, with a real gate and a real sink: a disk
that fills mid-write leaves nothing behind and the client gets 451; a retried hold is one
copy, and files a killed gate left without their row go; a held [ENCRYPT] message
whose sender wrote a malformed Message-ID is still released."""

from __future__ import annotations

import email
import email.policy
import os
import random
import re
import resource
import signal
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from piigate.model import Disposition
from piigate.quarantine.retries import ORPHAN_AGE, remove_orphans
from piigate.quarantine.review import Review
from tests.conftest import RunningGate, Sink, send
from tests.integration.test_policy_rules import DISCLAIMER, PURPOSE
from tests.synthetic import message, ssn

FILE_LIMIT = 1024 * 1024
"""RLIMIT_FSIZE while the big message is held: its sealed file cannot be written past 1 MiB."""


@pytest.fixture
def files_limited_to_one_mib() -> Iterator[None]:
    """A real write failure (EFBIG) for every file grown past 1 MiB, as a full disk gives
    ENOSPC: the kernel stops the write part-way, exactly where a full disk would."""
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


async def test_a_full_disk_mid_write_gives_451_and_leaves_no_partial_file(
    gate: RunningGate, sink: Sink, files_limited_to_one_mib: None
) -> None:
    """A 3 MiB message to be held whose sealed file cannot be written past 1 MiB: the client
    gets 451, nothing is relayed, and the quarantine folder holds no file at all (no
    truncated .msg, no temporary file), nor a row for it."""
    unreadable = ("data.bin", b"\x00\x01BINARY" + bytes(3 * FILE_LIMIT), "application/octet-stream")
    code, reply = await send(gate.address, message(attachments=(unreadable,)))
    assert code == 451 and "quarantine" in reply, reply
    assert sink.messages == []
    folder = gate.gate.quarantine.sealed.directory
    assert not folder.exists() or list(folder.iterdir()) == []
    assert gate.gate.quarantine.held_count() == 0


async def test_a_retried_hold_is_answered_with_the_first_copy_not_a_second(
    gate: RunningGate, sink: Sink
) -> None:
    """The same message sent again while it is held (a client that lost its connection
    after the hold, before the 250) gets the same held id and no second copy; a message that
    differs by one byte is held on its own."""
    unreadable = ("data.bin", b"\x00\x01BINARY" + bytes(4096), "application/octet-stream")
    raw = message(subject="retried hold", attachments=(unreadable,))
    first, again = await send(gate.address, raw), await send(gate.address, raw)
    other = await send(gate.address, raw.replace(b"retried hold", b"retried hola"))
    assert first[0] == again[0] == other[0] == 250, (first, again, other)
    assert first[1] == again[1] != other[1]
    assert gate.gate.quarantine.held_count() == 2
    folder = gate.gate.quarantine.sealed.directory
    assert len(list(folder.glob("*.msg"))) == 2


async def test_files_a_killed_gate_left_without_their_row_are_removed_once_old(
    gate: RunningGate,
) -> None:
    """A sealed file with no row (a gate killed between the file and its row) and a
    temporary file go once older than ORPHAN_AGE; younger ones (a hold in progress on a
    shared folder) and held messages' files stay."""
    unreadable = ("data.bin", b"\x00\x01BINARY" + bytes(4096), "application/octet-stream")
    code, _ = await send(gate.address, message(subject="kept", attachments=(unreadable,)))
    assert code == 250
    store = gate.gate.quarantine
    folder = store.sealed.directory
    (held_file,) = folder.glob("*.msg")
    store.sealed.write("Q20260101-000000-deadbeef", b"orphaned")
    young = store.sealed.path("Q20260101-000000-0young0")
    young.write_bytes(b"in progress")
    (folder / ".Q1.msg.0a0b.tmp").write_bytes(b"partial")
    old = time.time() - ORPHAN_AGE.total_seconds() - 60
    for path in folder.iterdir():
        if path != young:
            os.utime(path, (old, old))
    assert remove_orphans(store) == 2
    assert sorted(p.name for p in folder.iterdir()) == sorted([held_file.name, young.name])


async def test_a_held_message_with_a_malformed_message_id_is_released_encrypted(
    gate: RunningGate, sink: Sink
) -> None:
    """The sender's Message-ID ``<<>>@@`` (which makes the email library raise) does not stop
    an [ENCRYPT] release: the message leaves sealed with a Message-ID the gate made."""
    value = ssn(random.Random(2020))
    rcpt = "clerk@example.com"
    raw = message(subject=f"[ENCRYPT] {PURPOSE}", body=f"SSN {value}\n{DISCLAIMER}\n", to=(rcpt,))
    raw = re.sub(rb"Message-ID: [^\n]*\n", b"Message-ID: <<>>@@\n", raw)
    code, reply = await send(gate.address, raw, rcpt_tos=(rcpt,))
    assert code == 250 and "Held for privacy review" in reply, reply
    held_id = reply.split(" as ")[1].split(";")[0]
    sink.handler.messages.clear()
    review = Review(gate.gate.quarantine, gate.gate.actor, gate.gate.screener, timedelta(days=14))
    outcome = await review.release(held_id, "pat", "approved by the privacy office")
    assert outcome.disposition is Disposition.DELIVERED
    to_clerk = [m for m in sink.messages if m.rcpt_tos == [rcpt]]
    assert len(to_clerk) == 1
    relayed = email.message_from_bytes(to_clerk[0].content, policy=email.policy.default)
    assert relayed["Message-ID"] and "<<>>" not in str(relayed["Message-ID"])
    assert value.encode() not in to_clerk[0].content

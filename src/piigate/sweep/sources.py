"""Archive sources: what a path holds (told from its content, not its name), how it is cut
into partitions that workers read independently, and the messages of one partition.

    mbox         one file, cut by byte range at message boundaries (a 50 GB mbox spreads
                 over every worker; each reads only its own range)
    maildir      a folder with cur/ new/ tmp/, cut into shards of message files
    folder       any other folder: its .eml and Outlook .msg files (told by content), in
                 shards; an mbox or a Maildir inside it is a source of its own
    pst          Outlook .pst/.ost: unpacked by Debian's readpst (pst-utils, ``sweep.pst``)
                 into a folder of messages first, then read in shards; a .pst readpst cannot
                 read (or readpst missing) is named as unreadable

A partition is a small picklable value; reading it needs only the shared path.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import BinaryIO

from piigate.sweep import pst
from piigate.sweep.outlook import msg_as_mime

MBOX_FROM = b"From "
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PST_MAGIC = b"!BDN"
MBOX_PARTITION_BYTES = 1024 * 1024
"""Bytes of an mbox per partition (a partition is also the unit of progress and resume)."""
FILES_PER_PARTITION = 200
SNIFF_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Partition:
    """One unit of work: a byte range of an mbox, or a shard of message files."""

    source: str
    kind: str
    start: int = 0
    stop: int = 0
    files: tuple[str, ...] = ()
    root: str = ""
    """Where readpst unpacked a .pst (its messages are named from there)."""

    @property
    def name(self) -> str:
        if self.kind == "mbox":
            return f"{self.source}@{self.start}-{self.stop}"
        if self.kind == "pst" and self.files:
            return f"{self.location(self.files[0])}+{len(self.files)}"
        return f"{self.source}#{self.files[0] if self.files else ''}+{len(self.files)}"

    def location(self, file: str) -> str:
        """Where a message of this partition is: its file, or for a .pst the .pst and the
        message's place in it (``mail.pst:Sent Items/3.eml``)."""
        if self.kind == "pst":
            return f"{self.source}:{os.path.relpath(file, self.root)}"
        return file


@dataclass(frozen=True, slots=True)
class ArchivedMessage:
    """A message as stored: where it is (file, or mbox byte offset) and its bytes."""

    location: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """A source (or one file of it) that could not be read, and why."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big a partition is: bytes of an mbox, or message files."""

    mbox_bytes: int = MBOX_PARTITION_BYTES
    files: int = FILES_PER_PARTITION


@dataclass(frozen=True, slots=True)
class Plan:
    partitions: tuple[Partition, ...]
    problems: tuple[SourceProblem, ...]


def sniff(path: Path) -> str:
    """What a file holds, from its first bytes: mbox, msg, pst, eml or unknown."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith(MBOX_FROM):
        return "mbox"
    if head.startswith(OLE_MAGIC):
        return "msg"
    if head.startswith(PST_MAGIC):
        return "pst"
    first = head.split(b"\n", 1)[0]
    name, colon, _ = first.partition(b":")
    if colon and name and all(33 <= c <= 126 and c != ord(":") for c in name):
        return "eml" if _has_message_headers(head) else "unknown"
    return "unknown"


MESSAGE_HEADERS = frozenset(
    {"from", "to", "date", "subject", "received", "message-id", "return-path", "mime-version"}
)
"""A file that starts like a header block is a message only with one of these: an iCalendar
(``BEGIN:VCALENDAR``) or vCard file, which readpst writes beside mail, is not."""


def _has_message_headers(head: bytes) -> bool:
    headers = BytesHeaderParser(policy=compat32).parsebytes(head)
    return any(name.lower() in MESSAGE_HEADERS for name in headers)


def is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def plan(sources: list[Path], work_dir: Path, sizes: Sizes | None = None) -> Plan:
    """Every source cut into partitions; the sources that cannot be read, with the reason.
    ``work_dir`` holds what readpst unpacks from a .pst (workers read it from there)."""
    partitions: list[Partition] = []
    problems: list[SourceProblem] = []
    planner = _Planner(work_dir, sizes or Sizes())
    for source in sources:
        found, trouble = planner.source(source)
        partitions += found
        problems += trouble
    return Plan(tuple(partitions), tuple(problems))


class _Planner:
    def __init__(self, work_dir: Path, sizes: Sizes) -> None:
        self.work_dir = work_dir
        self.sizes = sizes

    def source(self, source: Path) -> tuple[list[Partition], list[SourceProblem]]:
        try:
            if source.is_dir():
                if is_maildir(source):
                    return self.shards(str(source), "maildir", _maildir_files(source)), []
                return self.folder(source)
            kind = sniff(source)
        except OSError as exc:
            return [], [SourceProblem(str(source), f"cannot read: {exc.strerror or exc}")]
        if kind == "mbox":
            return mbox_partitions(source, self.sizes.mbox_bytes), []
        if kind == "pst":
            return self.outlook(source)
        if kind in ("eml", "msg"):
            return self.shards(str(source.parent), "folder", [str(source)]), []
        return [], [SourceProblem(str(source), "not an mbox, Maildir, .eml, .msg or .pst")]

    def folder(self, folder: Path) -> tuple[list[Partition], list[SourceProblem]]:
        partitions: list[Partition] = []
        problems: list[SourceProblem] = []
        messages: list[str] = []
        for entry in sorted(folder.iterdir()):
            kind = "folder" if entry.is_dir() else sniff(entry)
            if kind in ("folder", "mbox", "pst"):
                found, trouble = self.source(entry)
                partitions, problems = partitions + found, problems + trouble
            elif kind in ("eml", "msg"):
                messages.append(str(entry))
            else:
                problems.append(SourceProblem(str(entry), "not a message (skipped)"))
        return self.shards(str(folder), "folder", messages) + partitions, problems

    def shards(
        self, source: str, kind: str, files: list[str] | tuple[str, ...], root: str = ""
    ) -> list[Partition]:
        step = self.sizes.files
        return [
            Partition(source, kind, files=tuple(files[n : n + step]), root=root)
            for n in range(0, len(files), step)
        ]

    def outlook(self, source: Path) -> tuple[list[Partition], list[SourceProblem]]:
        """readpst unpacks every mail item of the .pst as its own file, into the work folder."""
        unpacked = pst.unpack(source, self.work_dir)
        if unpacked.error is not None:
            return [], [SourceProblem(str(source), unpacked.error)]
        return self.shards(str(source), "pst", unpacked.messages, str(unpacked.root)), []


def _maildir_files(folder: Path) -> list[str]:
    return sorted(
        str(entry)
        for sub in ("cur", "new")
        for entry in (folder / sub).iterdir()
        if entry.is_file() and not entry.name.startswith(".")
    )


def mbox_partitions(path: Path, size: int = MBOX_PARTITION_BYTES) -> list[Partition]:
    """Byte ranges of about ``size`` bytes, each starting at a "From " line."""
    total = path.stat().st_size
    starts = [0]
    with path.open("rb") as handle:
        while starts[-1] + size < total:
            boundary = _next_boundary(handle, starts[-1] + size)
            if boundary >= total:
                break
            starts.append(boundary)
    stops = [*starts[1:], total]
    ranges = zip(starts, stops, strict=True)
    return [Partition(str(path), "mbox", start, stop) for start, stop in ranges]


def _next_boundary(handle: BinaryIO, offset: int) -> int:
    """The offset of the first "From " line at or after ``offset`` (mboxrd/mboxo framing:
    a message starts at a line beginning with "From "; the stdlib's ``mailbox`` reads the
    same way, but only a whole file at once)."""
    handle.seek(max(offset - 1, 0))
    if offset > 0:
        handle.readline()  # the rest of the line ``offset`` falls in
    while True:
        position = handle.tell()
        line = handle.readline()
        if not line or line.startswith(MBOX_FROM):
            return position


def read_partition(partition: Partition) -> Iterator[ArchivedMessage | SourceProblem]:
    """The messages of one partition, one at a time (memory bounded by one message)."""
    if partition.kind == "mbox":
        yield from _mbox_range(partition)
        return
    for name in partition.files:
        location = partition.location(name)
        try:
            yield ArchivedMessage(location, _message_file(Path(name), partition.kind))
        except (OSError, ValueError) as exc:
            yield SourceProblem(location, f"cannot read: {_reason(exc)}")


def _message_file(path: Path, kind: str) -> bytes:
    if kind == "pst":
        return pst.stable(path.read_bytes())
    if sniff(path) == "msg":
        return msg_as_mime(path)
    return path.read_bytes()


def _mbox_range(partition: Partition) -> Iterator[ArchivedMessage | SourceProblem]:
    try:
        handle = open(partition.source, "rb")  # noqa: SIM115
    except OSError as exc:
        yield SourceProblem(partition.source, f"cannot read: {_reason(exc)}")
        return
    with handle:
        handle.seek(partition.start)
        offset, lines = partition.start, list[bytes]()
        while handle.tell() < partition.stop:
            position, line = handle.tell(), handle.readline()
            if line.startswith(MBOX_FROM) and lines:
                yield _mbox_message(partition.source, offset, lines)
                lines = []
            if line.startswith(MBOX_FROM):
                offset = position
            else:
                lines.append(line)
        if lines:
            yield _mbox_message(partition.source, offset, lines)


def _mbox_message(source: str, offset: int, lines: list[bytes]) -> ArchivedMessage:
    """A message's lines without the blank line that separates it from the next one."""
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]
    return ArchivedMessage(f"{source}@{offset}", b"".join(lines))


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def source_of(location: str) -> str:
    """The source file a message location names (``file@offset`` for an mbox)."""
    head, at, offset = location.rpartition("@")
    return head if at and offset.isdigit() and os.path.isfile(head) else location

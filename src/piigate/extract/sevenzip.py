"""7z archives (LZMA, LZMA2, PPMd, BZip2, Deflate, Deflate64, Zstandard, Brotli, the BCJ and
delta filters, 7zAES): py7zr, in memory.

Members are read like zip members: the declared sizes checked against the budget before a
byte is decompressed, what arrives counted as it is written (a member past its declared size
or the limits stops the archive), each member a child under the same limits and depth. A 7z
is one solid stream or a few, so the members are decompressed in one pass; a broken stream
(a CRC mismatch) makes the archive unreadable. An archive in a method py7zr does not have
(BCJ2, the x86 branch filter 7-Zip picks for executables, or any other) is listed and
checked by py7zr as any other, then decompressed by unar (``programs.run_program``: the
members wanted, in one run, to its standard output, split by the declared sizes and refused
if it writes more or less; no unar is an unreadable archive). 7zAES is AES-256
with a SHA-256 key derived in 2^19 rounds: strong, whether only the data or the file list as
well (``7z -mhe``) is encrypted; passwords found in the message are tried as on a zip.
"""

from __future__ import annotations

import io
import lzma
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

import py7zr
import py7zr.exceptions
import py7zr.io

from piigate.errors import ExtractionError, LimitExceeded
from piigate.extract.content import Blob, Content, Lock
from piigate.extract.limits import Budget
from piigate.extract.programs import run_program
from piigate.model import Defect, Grade

_METHOD = "7z AES-256"
_UNSUPPORTED = "7z archive in a method py7zr lacks"
_ERRORS = (
    py7zr.exceptions.ArchiveError,
    lzma.LZMAError,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    NotImplementedError,
    RuntimeError,
)


def read_7z(blob: Blob, budget: Budget) -> Content:
    try:
        archive = _open(blob.data, None)
    except py7zr.exceptions.PasswordRequired:
        return Content(lock=Lock(Grade.ENCRYPTED_STRONG, _METHOD, _opener(blob, budget)))
    with archive:
        if archive.needs_password():
            return Content(lock=Lock(Grade.ENCRYPTED_STRONG, _METHOD, _opener(blob, budget)))
        return _read(blob, archive, budget)


def _open(data: bytes, password: str | None) -> py7zr.SevenZipFile:
    try:
        return py7zr.SevenZipFile(io.BytesIO(data), password=password)
    except py7zr.exceptions.PasswordRequired:
        raise
    except _ERRORS as exc:
        raise ExtractionError(f"broken 7z archive ({type(exc).__name__})") from exc


def _opener(blob: Blob, budget: Budget) -> Callable[[str], Content | None]:
    def try_password(password: str) -> Content | None:
        try:
            with _open(blob.data, password) as archive:
                return _read(blob, archive, budget)
        except (ExtractionError, py7zr.exceptions.PasswordRequired):
            return None

    return try_password


def _read(blob: Blob, archive: py7zr.SevenZipFile, budget: Budget) -> Content:
    """Every file member, decompressed in one pass and checked against the budget."""
    files = [
        (index, info)
        for index, info in enumerate(archive.list())
        if not (info.is_directory or info.is_symlink)
    ]
    content = Content()
    wanted = []
    for index, info in files:
        budget.check_time()
        budget.take_member()
        declared = info.uncompressed or 0
        try:
            budget.check_member(declared, info.compressed)
        except LimitExceeded as exc:
            content.defects.append(Defect(blob.child(info.filename, b"").where, str(exc)))
            continue
        budget.take_bytes(declared)
        wanted.append((index, info))
    if not wanted:
        return content
    factory = _BoundedFactory(budget, sum(info.uncompressed or 0 for _, info in wanted))
    try:
        archive.extract(targets=[info.filename for _, info in wanted], factory=factory)
    except LimitExceeded:
        raise
    except py7zr.exceptions.UnsupportedCompressionMethodError:
        written = _unar(blob, wanted, budget)
    except _ERRORS as exc:
        raise ExtractionError(f"broken 7z archive ({type(exc).__name__})") from exc
    else:
        written = [(name, data.getvalue()) for name, data in factory.written]
    for name, data in written:
        content.children.append(blob.child(name, data).deflate())
    return content


def _unar(
    blob: Blob, wanted: list[tuple[int, py7zr.FileInfo]], budget: Budget
) -> list[tuple[str, bytes]]:
    """The ``wanted`` members (their indexes in the archive's list, which lsar numbers the
    same way), decompressed by unar in one run to its standard output and split by their
    declared sizes: output past their sum kills unar, output short of it is refused."""
    sizes = [info.uncompressed or 0 for _, info in wanted]
    with tempfile.TemporaryDirectory(prefix="piigate-7z-") as folder:
        path = Path(folder) / "archive.7z"
        path.write_bytes(blob.data)
        argv = ["unar", "-q", "-nr", "-o", "-", "-i", str(path)]
        argv += [str(index) for index, _ in wanted]
        output = run_program(argv, budget, _UNSUPPORTED, max_output=sum(sizes))
    if len(output) != sum(sizes):
        raise ExtractionError(f"{_UNSUPPORTED}: unar wrote less than the archive declares")
    members = []
    start = 0
    for (_, info), size in zip(wanted, sizes, strict=True):
        members.append((info.filename, output[start : start + size]))
        start += size
    return members


class _BoundedFactory(py7zr.io.WriterFactory):
    """Members written to memory in the archive's order (py7zr renames a second member of the
    same name ``name_0``); more bytes than the header declares for all of them, or a member
    past the limits, stops the extraction: a lying header cannot get more out."""

    def __init__(self, budget: Budget, declared: int) -> None:
        self.budget = budget
        self.left = [declared]
        self.written: list[tuple[str, io.BytesIO]] = []

    def create(self, filename: str) -> py7zr.io.Py7zIO:
        buffer = io.BytesIO()
        self.written.append((filename, buffer))
        return _BoundedWriter(buffer, self.budget, self.left)


class _BoundedWriter(py7zr.io.Py7zIO):
    def __init__(self, buffer: io.BytesIO, budget: Budget, left: list[int]) -> None:
        self.buffer = buffer
        self.budget = budget
        self.left = left
        """Bytes the header still declares (shared by every member of the archive)."""

    def write(self, s: bytes | bytearray) -> int:
        self.left[0] -= len(s)
        if self.left[0] < 0:
            raise ExtractionError("7z members larger than their headers declare")
        self.budget.check_member(self.buffer.tell() + len(s))
        self.budget.check_time()
        return self.buffer.write(s)

    def read(self, size: int | None = None) -> bytes:
        return self.buffer.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.buffer.seek(offset, whence)

    def flush(self) -> None:
        self.buffer.flush()

    def size(self) -> int:
        return self.buffer.getbuffer().nbytes

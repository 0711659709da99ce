"""Archives: ZIP (plain, ZipCrypto, WinZip AES via pyzipper), gzip/bzip2/xz streams and tar.

Every member is checked against the budget with the sizes the archive declares before a
byte is decompressed; zipfile never returns more than the declared size, and the stream
readers count what actually arrives, so a lying header cannot get past the limits.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import PurePath
from typing import IO, TypeVar

import pyzipper

from piigate.errors import ExtractionError
from piigate.extract.content import Blob, Content, Lock
from piigate.extract.limits import Budget, MessageLimitExceeded
from piigate.model import Defect, Grade

Info = TypeVar("Info")
_CHUNK = 1024 * 1024
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    pyzipper.BadZipFile,
    RuntimeError,
    ValueError,
    OSError,
    EOFError,
    NotImplementedError,
)
_AES_BITS = {1: 128, 2: 192, 3: 256}
_STRONG_ENCRYPTION_FLAG = 0x40  # PKWARE "strong encryption" (not readable here)


def open_zip(data: bytes) -> zipfile.ZipFile:
    """The archive, read with pyzipper (a zipfile that also opens WinZip AES members)."""
    try:
        archive: zipfile.ZipFile = pyzipper.AESZipFile(io.BytesIO(data))
        return archive
    except _ZIP_ERRORS as exc:
        raise ExtractionError(f"broken zip archive ({type(exc).__name__})") from exc


def check_zip(archive: zipfile.ZipFile, budget: Budget) -> None:
    """Hold every member of a zip that a library will open itself (OOXML, OpenDocument) to
    the limits, using the declared sizes (which zipfile enforces)."""
    infos = archive.infolist()
    if len(infos) > budget.settings.max_members:
        raise ExtractionError(f"more than {budget.settings.max_members} members in a document")
    for info in infos:
        budget.check_member(info.file_size, info.compress_size)
        budget.take_bytes(info.file_size)


def read_zip(blob: Blob, budget: Budget) -> Content:
    archive = open_zip(blob.data)
    # A member with an empty name is a file (archivers extract it; zipfile's is_dir fails).
    files = [info for info in archive.infolist() if not info.filename.endswith("/")]
    plain = [info for info in files if not info.flag_bits & 0x1]
    locked = [info for info in files if info.flag_bits & 0x1]
    content = Content()
    _read_members(blob, archive, plain, budget, pwd=None, content=content)
    if locked:
        grade, method = _zip_grade(locked)
        opener = _zip_opener(blob, archive, locked, budget)
        content.lock = Lock(grade, method, opener)
    return content


def _zip_grade(locked: list[zipfile.ZipInfo]) -> tuple[Grade, str]:
    """The weakest protection among the encrypted members."""
    methods = []
    for info in locked:
        strength = getattr(info, "wz_aes_strength", None)
        if info.flag_bits & _STRONG_ENCRYPTION_FLAG:
            methods.append((Grade.ENCRYPTED_STRONG, "zip PKWARE strong encryption"))
        elif strength in _AES_BITS:
            bits = _AES_BITS[strength]
            grade = Grade.ENCRYPTED_STRONG if bits == 256 else Grade.ENCRYPTED_WEAK
            methods.append((grade, f"zip AES-{bits}"))
        else:
            methods.append((Grade.ENCRYPTED_WEAK, "zip ZipCrypto"))
    weak = [m for m in methods if m[0] is Grade.ENCRYPTED_WEAK]
    return (weak or methods)[0]


def _zip_opener(
    blob: Blob, archive: zipfile.ZipFile, locked: list[zipfile.ZipInfo], budget: Budget
) -> Callable[[str], Content | None]:
    smallest = min(locked, key=lambda info: info.file_size)

    def try_password(password: str) -> Content | None:
        secret = password.encode("utf-8")
        try:
            # The whole smallest member, so its CRC (or AES MAC) proves the password.
            budget.check_member(smallest.file_size, smallest.compress_size)
            with archive.open(smallest, pwd=secret) as stream:
                stream.read()
        except _ZIP_ERRORS:
            return None
        content = Content()
        _read_members(blob, archive, locked, budget, pwd=secret, content=content)
        return content

    return try_password


def _read_members(
    blob: Blob,
    archive: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    budget: Budget,
    *,
    pwd: bytes | None,
    content: Content,
) -> None:
    collect_members(
        blob,
        infos,
        lambda info: _zip_member(blob, archive, info, budget, pwd),
        _member_name,
        content,
    )


def collect_members(
    blob: Blob,
    infos: Iterable[Info],
    read_member: Callable[[Info], Blob],
    name_of: Callable[[Info], str],
    content: Content,
) -> None:
    """Each member becomes a child; one past a per-member limit (or broken) is a defect of its
    own, and the rest of the archive is still read (a limit on the whole message stops it)."""
    for info in infos:
        try:
            content.children.append(read_member(info).deflate())
        except MessageLimitExceeded:
            raise
        except ExtractionError as exc:
            where = blob.child(name_of(info), b"").where
            content.defects.append(Defect(where, str(exc)))


def _zip_member(
    blob: Blob, archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget, pwd: bytes | None
) -> Blob:
    budget.check_time()
    budget.take_member()
    budget.check_member(info.file_size, info.compress_size)
    budget.take_bytes(info.file_size)
    try:
        with archive.open(info, pwd=pwd) as stream:
            data = bounded_read(stream, budget, info.compress_size)
    except _ZIP_ERRORS as exc:
        raise ExtractionError(f"broken zip member ({type(exc).__name__})") from exc
    return blob.child(_member_name(info), data)


def _member_name(info: zipfile.ZipInfo) -> str:
    return info.filename or UNNAMED


UNNAMED = "(unnamed member)"


def bounded_read(
    stream: IO[bytes] | gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile,
    budget: Budget,
    compressed: int | None,
) -> bytes:
    """Read a decompressing stream in chunks, stopping at the first limit it passes."""
    chunks = []
    total = 0
    while chunk := stream.read(_CHUNK):
        total += len(chunk)
        budget.check_member(total, compressed)
        budget.check_time()
        chunks.append(chunk)
    return b"".join(chunks)


_STREAMS: dict[str, Callable[[IO[bytes]], gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile]] = {
    "gzip": lambda raw: gzip.GzipFile(fileobj=raw),
    "bzip2": bz2.BZ2File,
    "xz": lzma.LZMAFile,
}
_SUFFIXES = {"gzip": (".gz", ".tgz"), "bzip2": (".bz2", ".tbz2"), "xz": (".xz", ".txz")}


def stream_reader(kind: str) -> Callable[[Blob, Budget], Content]:
    """A reader for one compressed stream (gzip, bzip2, xz): its one member, decompressed."""

    def read_stream(blob: Blob, budget: Budget) -> Content:
        budget.take_member()
        try:
            with _STREAMS[kind](io.BytesIO(blob.data)) as stream:
                data = bounded_read(stream, budget, len(blob.data))
        except (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError) as exc:
            raise ExtractionError(f"broken {kind} stream ({type(exc).__name__})") from exc
        budget.take_bytes(len(data))
        return Content(children=[blob.child(_inner_name(blob.name, kind), data)])

    return read_stream


def _inner_name(name: str, kind: str) -> str:
    path = PurePath(PurePath(name).name or "content")
    if path.suffix.lower() in _SUFFIXES[kind]:
        inner = path.stem
        return inner + ".tar" if path.suffix.lower().startswith(".t") else inner
    return path.name + ".out"


def read_tar(blob: Blob, budget: Budget) -> Content:
    content = Content()
    try:
        with tarfile.open(fileobj=io.BytesIO(blob.data), mode="r:") as archive:
            for member in archive:
                if not member.isfile():
                    continue
                budget.check_time()
                budget.take_member()
                budget.check_member(member.size)
                budget.take_bytes(member.size)
                stream = archive.extractfile(member)
                data = stream.read() if stream is not None else b""
                content.children.append(blob.child(member.name, data).deflate())
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ExtractionError(f"broken tar archive ({type(exc).__name__})") from exc
    return content

"""RAR archives (RAR 2.0 to 5, solid or not): rarfile reads the headers and stored members
itself and hands compressed members to unar (The Unarchiver, Debian package ``unar``).

Members are read like zip members: declared sizes checked before a byte is decompressed,
what arrives counted in 1 MiB chunks, each member a child under the same limits and depth.
An encrypted RAR is graded by its cipher: RAR 5 encrypts with AES-256 and a salted,
iterated PBKDF2 (strong); RAR 3/4 with AES-128 (weak); RAR 2.0 and older with their own
cipher (weak). An archive whose file list is itself encrypted (``rar -hp``) is graded the
same way by its version. Passwords found in the message are tried as on a zip.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import rarfile

from piigate.errors import ExtractionError
from piigate.extract.archives import bounded_read, collect_members
from piigate.extract.content import Blob, Content, Lock
from piigate.extract.limits import Budget
from piigate.model import Grade

RAR5_MAGIC = b"Rar!\x1a\x07\x01\x00"
RAR4_MAGIC = b"Rar!\x1a\x07\x00"
_RAR5_VERSION = 50
_RAR3_VERSION = 29
_ERRORS = (rarfile.Error, OSError, EOFError, ValueError, IndexError, KeyError, TypeError)


def read_rar(blob: Blob, budget: Budget) -> Content:
    archive = _open(blob.data)
    if archive.needs_password() and not archive.infolist():
        grade, method = _grade(blob.data, None)
        return Content(lock=Lock(grade, method, _header_opener(blob, budget)))
    return _read(blob, archive, budget, password=None)


def _choose_unar() -> None:
    """Decompress with unar (the non-free unrar is not in Debian main; bsdtar reads no RAR 3/4
    solid or encrypted archive). rarfile keeps the choice once made; without unar only stored
    members can be read, and a compressed one is a defect."""
    with contextlib.suppress(rarfile.RarCannotExec):
        rarfile.tool_setup(unrar=False, unar=True, bsdtar=False, sevenzip=False, sevenzip2=False)


def _open(data: bytes, password: str | None = None) -> rarfile.RarFile:
    _choose_unar()
    try:
        archive = rarfile.RarFile(io.BytesIO(data), errors="strict")
        if password is not None:
            archive.setpassword(password)
    except rarfile.NeedFirstVolume as exc:
        raise ExtractionError("a RAR volume without the volumes before it") from exc
    except _ERRORS as exc:
        raise ExtractionError(f"broken RAR archive ({type(exc).__name__})") from exc
    return archive


def _read(blob: Blob, archive: rarfile.RarFile, budget: Budget, password: str | None) -> Content:
    files = [info for info in archive.infolist() if not (info.is_dir() or info.is_symlink())]
    content = Content()
    plain = [info for info in files if not info.needs_password() or password is not None]
    _read_members(blob, archive, plain, budget, content)
    locked = [info for info in files if info.needs_password() and password is None]
    if locked:
        grade, method = _grade(blob.data, locked)
        content.lock = Lock(grade, method, _member_opener(blob, locked, budget))
    return content


def _grade(data: bytes, locked: list[rarfile.RarInfo] | None) -> tuple[Grade, str]:
    """The weakest cipher among the encrypted members (or, when the file list itself is
    encrypted, the archive format's)."""
    versions = (
        [info.extract_version for info in locked]
        if locked
        else [_RAR5_VERSION if data.startswith(RAR5_MAGIC) else _RAR3_VERSION]
    )
    weakest = min(versions)
    if weakest >= _RAR5_VERSION:
        return Grade.ENCRYPTED_STRONG, "rar AES-256"
    if weakest >= _RAR3_VERSION:
        return Grade.ENCRYPTED_WEAK, "rar AES-128"
    return Grade.ENCRYPTED_WEAK, "rar 2.0 cipher"


def _member_opener(
    blob: Blob, locked: list[rarfile.RarInfo], budget: Budget
) -> Callable[[str], Content | None]:
    # The whole smallest member that holds data: its checksum proves the password (an empty
    # member opens with any password: when all are empty there is nothing to read).
    sized = [info for info in locked if info.file_size]
    smallest = min(sized, key=lambda info: info.file_size) if sized else None

    def try_password(password: str) -> Content | None:
        if smallest is None:
            return None
        archive = _open(blob.data, password)
        try:
            budget.check_member(smallest.file_size, smallest.compress_size)
            archive.read(smallest.filename)
        except _ERRORS:
            return None
        content = Content()
        _read_members(blob, archive, locked, budget, content)
        return content

    return try_password


def _header_opener(blob: Blob, budget: Budget) -> Callable[[str], Content | None]:
    def try_password(password: str) -> Content | None:
        try:
            archive = _open(blob.data, password)
        except ExtractionError:
            return None
        if not archive.infolist():
            return None
        return _read(blob, archive, budget, password)

    return try_password


def _read_members(
    blob: Blob,
    archive: rarfile.RarFile,
    infos: list[rarfile.RarInfo],
    budget: Budget,
    content: Content,
) -> None:
    def read_member(info: rarfile.RarInfo) -> Blob:
        return _member(blob, archive, info, budget)

    collect_members(blob, infos, read_member, lambda info: str(info.filename), content)


def _member(blob: Blob, archive: rarfile.RarFile, info: rarfile.RarInfo, budget: Budget) -> Blob:
    budget.check_time()
    budget.take_member()
    budget.check_member(info.file_size or 0, info.compress_size)
    budget.take_bytes(info.file_size or 0)
    try:
        with archive.open(info) as stream:
            data = bounded_read(stream, budget, info.compress_size)
    except rarfile.RarCannotExec as exc:
        missing = "compressed RAR members cannot be read: unar is not installed"
        raise ExtractionError(missing) from exc
    except _ERRORS as exc:
        raise ExtractionError(f"broken RAR member ({type(exc).__name__})") from exc
    return blob.child(info.filename, data)

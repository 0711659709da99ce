"""Held messages at rest: one file per message, ``<id>.msg``, sealed with AES-256-GCM
(a 12-byte random nonce, then ciphertext and tag; the id is the associated data, so files
cannot be swapped). Written atomically before the gate answers 250: to a temporary file in
the same folder, fsync'ed, renamed into place, then the folder fsync'ed; when any step fails
(a full disk) the temporary file is removed, so no partial ``.msg`` is ever left."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING

from piigate.errors import QuarantineError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32


class SealedFiles:
    def __init__(self, directory: Path, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise QuarantineError("quarantine key must be 32 bytes (AES-256)")
        self.directory = directory
        self._key = key
        self._cipher: AESGCM | None = None

    def _aead(self) -> AESGCM:
        """The cipher, made when a message is first sealed or opened: listing held mail
        (``piigate quarantine list``) opens the store without loading the crypto library."""
        if self._cipher is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415

            self._cipher = AESGCM(self._key)
        return self._cipher

    def path(self, held_id: str) -> Path:
        return self.directory / f"{held_id}.msg"

    def write(self, held_id: str, raw: bytes) -> None:
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + self._aead().encrypt(nonce, raw, held_id.encode())
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            _write_durably(self.path(held_id), sealed)
        except OSError as exc:
            raise QuarantineError(
                f"quarantine {self.directory}: cannot store: {exc.strerror or exc}"
            ) from exc

    def discard(self, held_id: str) -> None:
        """Remove a sealed file whose message was, after all, not held."""
        self.path(held_id).unlink(missing_ok=True)

    def read(self, held_id: str) -> bytes:
        from cryptography.exceptions import InvalidTag  # noqa: PLC0415

        try:
            sealed = self.path(held_id).read_bytes()
        except OSError as exc:
            raise QuarantineError(f"quarantine {held_id}: cannot read: {exc.strerror}") from exc
        try:
            return self._aead().decrypt(
                sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], held_id.encode()
            )
        except (InvalidTag, ValueError):
            raise QuarantineError(
                f"quarantine {held_id}: cannot decrypt (wrong key, or the file was altered)"
            ) from None


def _write_durably(path: Path, data: bytes) -> None:
    """Write ``path`` (owner-only) atomically and durably: temp file, fsync, rename, fsync
    of the folder. On failure nothing is left behind and the ``OSError`` is raised."""
    temporary = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if path.exists():
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))
        os.rename(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    try:
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except OSError:
        path.unlink(missing_ok=True)  # not durable: not held (the client gets 451)
        raise

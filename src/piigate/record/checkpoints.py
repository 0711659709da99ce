"""Signed checkpoints: the ledger's size and Merkle root, signed by the gate with Ed25519
(``cryptography``), written where the database cannot rewrite them (an append-only file,
one JSON object a line; copy it off the machine, or mark it ``chattr +a``).

A checkpoint binds "the first N records are exactly these" to a time: a later ledger that
was truncated (fewer than N records) or rewritten (another root at size N) fails
``records verify --checkpoint`` with a consistency proof; ``records proof ID`` gives an
inclusion proof for one record under a checkpoint, which anyone with the public key checks
(``records check-proof``) without the database.

The signed text is ``piigate-ledger-checkpoint/1\\n<size>\\n<root hex>\\n<time>\\n``.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from piigate.errors import LedgerError

if TYPE_CHECKING:  # cryptography is imported where keys are made, read or checked, so that
    # the read-only `records` commands start without it (tests/unit/test_cli_imports.py)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

ORIGIN = "piigate-ledger-checkpoint/1"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    size: int
    root: str
    time: str
    signature: str = ""

    def signed_text(self) -> bytes:
        return f"{ORIGIN}\n{self.size}\n{self.root}\n{self.time}\n".encode()

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def sign(key: Ed25519PrivateKey, size: int, root: str) -> Checkpoint:
    unsigned = Checkpoint(size, root, datetime.now(UTC).isoformat(timespec="seconds"))
    signature = base64.b64encode(key.sign(unsigned.signed_text())).decode()
    return Checkpoint(size, root, unsigned.time, signature)


def signed_by(key: Ed25519PublicKey, checkpoint: Checkpoint) -> bool:
    from cryptography.exceptions import InvalidSignature  # noqa: PLC0415 (see the top)

    try:
        key.verify(base64.b64decode(checkpoint.signature), checkpoint.signed_text())
    except (InvalidSignature, ValueError):
        return False
    return True


def append(path: Path, checkpoint: Checkpoint) -> None:
    """Add one line to the checkpoint file (created 0600), flushed to disk."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(checkpoint.line() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise LedgerError(f"checkpoint file {path}: cannot write: {exc}") from exc


def read(path: Path) -> list[Checkpoint]:
    """Every checkpoint in the file; a malformed line is an error naming file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise LedgerError(f"checkpoint file {path}: cannot read: {exc.strerror}") from None
    found = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
            found.append(
                Checkpoint(
                    int(data["size"]), str(data["root"]), str(data["time"]), data["signature"]
                )
            )
        except (ValueError, KeyError, TypeError):
            raise LedgerError(f"{path}:{number}: not a checkpoint line") from None
    return found


def create_key_files(private: Path) -> bool:
    """A new Ed25519 key in ``private`` (PEM, owner-only) and its public half beside it
    (``.pub``); False (both left alone) when the private key exists."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 (see the top)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
        Ed25519PrivateKey,
    )

    private.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    try:
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public_path(private).write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return True


def public_path(private: Path) -> Path:
    return private.with_suffix(".pub")


def load_private(path: Path) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 (see the top)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
        Ed25519PrivateKey,
    )

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise LedgerError(
            f"ledger.checkpoint_key_file: {path} does not exist; run `piigate keys init`"
        ) from None
    except (OSError, ValueError) as exc:
        raise LedgerError(f"ledger.checkpoint_key_file: {path}: cannot read: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise LedgerError(f"ledger.checkpoint_key_file: {path}: not an Ed25519 key")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 (see the top)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
        Ed25519PublicKey,
    )

    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise LedgerError(f"public key {path}: cannot read: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise LedgerError(f"public key {path}: not an Ed25519 key")
    return key

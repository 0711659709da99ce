"""Hold a message for the privacy analysts, encrypted at rest.

Each held message is two files in the quarantine folder: ``<id>.msg`` — the raw message
sealed with AES-256-GCM (12-byte nonce, then ciphertext and tag; the id is the associated
data, so files cannot be swapped) — and ``<id>.json``: envelope, verdict and masked findings.
Both are fsync'ed (and the folder too) before the gate answers 250.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from piigate.errors import QuarantineError
from piigate.model import Screening

NONCE_BYTES = 12


class Quarantine:
    def __init__(self, directory: Path, key: bytes) -> None:
        if len(key) != 32:
            raise QuarantineError("quarantine key must be 32 bytes (AES-256)")
        self.directory = directory
        self._aead = AESGCM(key)

    def hold(self, screening: Screening, raw: bytes) -> str:
        """Seal ``raw`` (the message as it would be relayed) with its metadata; return the id."""
        held_id = time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(6)
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, raw, held_id.encode())
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            _write_durably(self.directory / f"{held_id}.msg", sealed)
            _write_durably(
                self.directory / f"{held_id}.json",
                json.dumps(_metadata(held_id, screening), indent=2).encode(),
            )
            _sync_directory(self.directory)
        except OSError as exc:
            raise QuarantineError(
                f"quarantine {self.directory}: cannot store: {exc.strerror}"
            ) from exc
        return held_id

    def open(self, held_id: str) -> bytes:
        sealed = (self.directory / f"{held_id}.msg").read_bytes()
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], held_id.encode())
        except InvalidTag:
            raise QuarantineError(
                f"quarantine {held_id}: cannot decrypt (wrong key, or the file was altered)"
            ) from None


def _metadata(held_id: str, screening: Screening) -> dict[str, Any]:
    verdict = screening.verdict
    return {
        "id": held_id,
        "held_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "state": "held",
        "mail_from": screening.envelope.mail_from,
        "rcpt_tos": list(screening.envelope.rcpt_tos),
        "message_id": screening.message.message_id,
        "action": verdict.action.value,
        "violations": [v.public() for v in verdict.violations],
        "findings": [f.public() for f in screening.detection.findings],
        "individuals": screening.detection.individual_count,
    }


def _write_durably(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

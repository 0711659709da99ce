"""The gate's secret keys: created by ``piigate keys init`` as owner-only files, read from the
environment or from the file the config names. Never logged, never in the repo."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from piigate.config import Settings
from piigate.errors import ConfigError

KEY_BYTES = 32


def create_key_file(path: Path) -> bool:
    """Create ``path`` with a new random key (hex), readable only by its owner.
    Return False (and leave it alone) when it already exists."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    return True


def quarantine_key(settings: Settings) -> bytes:
    q = settings.quarantine
    if q.key is not None:
        return _decode(q.key.get_secret_value(), "environment variable PIIGATE_QUARANTINE__KEY")
    try:
        text = q.key_file.read_text(encoding="ascii")
    except FileNotFoundError:
        raise ConfigError(
            f"quarantine.key_file: {q.key_file} does not exist; run `piigate keys init` "
            "or set PIIGATE_QUARANTINE__KEY"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"quarantine.key_file: {q.key_file}: cannot read: {exc}") from None
    return _decode(text, f"quarantine.key_file {q.key_file}")


def _decode(text: str, source: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise ConfigError(f"{source}: expected {KEY_BYTES * 2} hex digits (a 256-bit key)")
    return key


def review_session_secret(settings: Settings) -> bytes:
    """The key that signs the review UI's session cookies, derived from the quarantine key
    (HKDF-SHA256), so there is no third secret to manage."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"piigate review sessions"
    ).derive(quarantine_key(settings))

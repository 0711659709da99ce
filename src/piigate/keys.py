"""The gate's secret keys: created by ``piigate keys init`` as owner-only files, read from the
environment or from the file the config names. Never logged, never in the repo."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr

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
    return _load_key("quarantine", q.key, q.key_file)


def ledger_key(settings: Settings) -> bytes:
    """The ledger's HMAC key; a missing or malformed key is a ``ConfigError``, never a default."""
    ledger = settings.ledger
    return _load_key("ledger", ledger.key, ledger.key_file)


def _load_key(section: str, secret: SecretStr | None, key_file: Path) -> bytes:
    env = f"PIIGATE_{section.upper()}__KEY"
    if secret is not None:
        return _decode(secret.get_secret_value(), f"environment variable {env}")
    try:
        text = key_file.read_text(encoding="ascii")
    except FileNotFoundError:
        raise ConfigError(
            f"{section}.key_file: {key_file} does not exist; run `piigate keys init` or set {env}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{section}.key_file: {key_file}: cannot read: {exc}") from None
    return _decode(text, f"{section}.key_file {key_file}")


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
    # Imported here: only the review pages need it, and the ledger commands load this module.
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: PLC0415

    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"piigate review sessions"
    ).derive(quarantine_key(settings))

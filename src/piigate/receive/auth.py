"""SMTP AUTH for clients outside ``clients.networks``: PLAIN/LOGIN, offered only after
STARTTLS, checked against ``clients.auth_file`` (one ``USER:scrypt$SALT$HASH`` per line,
made with ``piigate clients hash-password``). Passwords are never logged or kept."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Any

import structlog
from aiosmtpd.smtp import AuthResult, LoginPassword

from piigate.errors import ConfigError

log = structlog.get_logger("piigate.receive")

_N, _R, _P = 2**14, 8, 1
_DUMMY = "scrypt$" + "00" * 16 + "$" + "00" * 32


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def _matches(password: bytes, stored: str) -> bool:
    _, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password, salt=bytes.fromhex(salt), n=_N, r=_R, p=_P, dklen=32)
    return hmac.compare_digest(candidate, bytes.fromhex(digest))


class Credentials:
    """The users who may AUTH, by name, with their password hashes."""

    def __init__(self, hashes: dict[str, str]) -> None:
        self.hashes = hashes

    @classmethod
    def load(cls, path: Path) -> Credentials:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"clients.auth_file: cannot read {path}: {exc.strerror}") from None
        hashes = {}
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            user, _, stored = line.strip().partition(":")
            parts = stored.split("$")
            if not user or len(parts) != 3 or parts[0] != "scrypt" or not _is_hex(parts[1:]):
                raise ConfigError(f"{path}:{number}: expected USER:scrypt$SALT$HASH")
            hashes[user] = stored
        return cls(hashes)

    def verify(self, user: str, password: bytes) -> bool:
        # An unknown user costs the same scrypt as a known one.
        return _matches(password, self.hashes.get(user, _DUMMY)) and user in self.hashes

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """aiosmtpd's authenticator hook."""
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        ok = self.verify(user, auth_data.password)
        log.info("smtp auth", user=user, mechanism=mechanism, success=ok)
        return AuthResult(success=ok, handled=False)


def _is_hex(values: list[str]) -> bool:
    try:
        return all(bytes.fromhex(v) for v in values)
    except ValueError:
        return False

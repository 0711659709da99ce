"""SMTP AUTH for clients outside ``clients.networks``: PLAIN/LOGIN, offered only after
STARTTLS, checked against ``clients.auth_file`` (one ``USER:scrypt$SALT$HASH`` per line,
made with ``piigate clients hash-password``). Passwords are never logged or kept.

``AuthGuard`` checks passwords in a small thread pool (scrypt would stall every session on
the event loop) and throttles failures per client address and per user name
(``smtp.auth_throttle``)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import structlog
from aiosmtpd.smtp import AuthResult, LoginPassword

from piigate.config import ThrottleSettings
from piigate.errors import ConfigError
from piigate.observe import GateObserver
from piigate.receive import replies
from piigate.throttle import FailureThrottle

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


class AuthGuard:
    """Password checks off the event loop, in ``workers`` threads, with failures throttled."""

    def __init__(
        self,
        credentials: Credentials,
        throttle: ThrottleSettings,
        workers: int,
        observer: Callable[[], GateObserver],
    ) -> None:
        self.credentials = credentials
        self.throttle = FailureThrottle(throttle)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="piigate-auth")
        self._observer = observer

    def locked_out(self, address: str) -> bool:
        """Whether this client address is locked out (logged and counted when it is)."""
        if not self.throttle.locked(f"address {address}"):
            return False
        log.warning("smtp auth locked out", peer=address)
        self._observer().auth_refused("locked")
        return True

    async def check(self, address: str, login: LoginPassword, mechanism: str) -> str:
        """The reply to this AUTH: 235, 535 (after the throttle's delay) or 454 (locked)."""
        user = login.login.decode("utf-8", "replace")
        keys = (f"address {address}", f"user {user}")
        if self.throttle.locked(*keys):
            log.warning("smtp auth locked out", user=user, peer=address, mechanism=mechanism)
            self._observer().auth_refused("locked")
            return replies.AUTH_LOCKED
        loop = asyncio.get_running_loop()
        ok = await loop.run_in_executor(self._pool, self.credentials.verify, user, login.password)
        log.info("smtp auth", user=user, peer=address, mechanism=mechanism, success=ok)
        if ok:
            self.throttle.succeeded(keys[1])
            return replies.AUTH_OK
        self._observer().auth_refused("wrong")
        await asyncio.sleep(self.throttle.failed(*keys))
        return replies.AUTH_INVALID

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

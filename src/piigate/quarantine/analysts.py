"""Analyst accounts for the review UI: names and argon2 password hashes, in the quarantine's
database. Passwords are never stored or logged; only argon2id hashes (argon2-cffi)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from piigate.errors import QuarantineError
from piigate.quarantine.store import QuarantineStore, now_iso

_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
MIN_PASSWORD = 12


class Analysts:
    def __init__(self, store: QuarantineStore) -> None:
        self.store = store
        self._hasher = PasswordHasher()  # the analysts table is part of the store's schema

    def add(self, name: str, password: str) -> None:
        if not _NAME.match(name):
            raise QuarantineError("analyst names are 1-64 letters, digits, '.', '_', '@', '-'")
        if len(password) < MIN_PASSWORD:
            raise QuarantineError(f"the password must have at least {MIN_PASSWORD} characters")
        digest = self._hasher.hash(password)
        self.store.execute(
            "INSERT INTO analysts (name, password_hash, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
            (name, digest, now_iso()),
        )

    def remove(self, name: str) -> bool:
        return bool(
            self.store.execute("DELETE FROM analysts WHERE name = ? RETURNING name", (name,))
        )

    def names(self) -> list[str]:
        return [row[0] for row in self.store.execute("SELECT name FROM analysts ORDER BY name")]

    def verify(self, name: str, password: str) -> bool:
        rows = self.store.execute("SELECT password_hash FROM analysts WHERE name = ?", (name,))
        if not rows:
            # Spend the same time as a real check, so names cannot be probed by timing.
            self._hasher.hash(password)
            return False
        try:
            return self._hasher.verify(rows[0][0], password)
        except (VerificationError, InvalidHashError):
            return False

"""The review UI's sessions, kept server-side in the quarantine's database.

The cookie carries only a random session id; the row (keyed by the id's SHA-256, so a copy
of the database signs nobody in) holds the analyst, when the session began and when it was
last used. A session ends:

- ``review.session_max_age`` seconds after sign-in, however active (a true absolute limit);
- ``review.idle_timeout`` seconds after its last request;
- at sign-out (a copied cookie is then worthless);
- at once when the analyst is removed or their password is reset: the row remembers the
  password hash it was opened under and is honoured only while the account still has it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable

from piigate.config import ReviewSettings
from piigate.quarantine import QuarantineStore

SCHEMA = """CREATE TABLE IF NOT EXISTS review_sessions (
    id TEXT PRIMARY KEY,
    analyst TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created REAL NOT NULL,
    seen REAL NOT NULL
)"""


class ReviewSessions:
    def __init__(
        self,
        store: QuarantineStore,
        settings: ReviewSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self._clock = clock
        store.execute(SCHEMA)

    def begin(self, analyst: str) -> str:
        """A new session for ``analyst`` (just signed in); returns the id for the cookie."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        self.store.execute(
            "INSERT INTO review_sessions (id, analyst, password_hash, created, seen)"
            " SELECT ?, name, password_hash, ?, ? FROM analysts WHERE name = ?",
            (_key(token), now, now, analyst),
        )
        return token

    def analyst(self, token: str | None) -> str | None:
        """The analyst of a live session (and the session is touched), or None."""
        if not token:
            return None
        rows = self.store.execute(
            "SELECT s.analyst, s.created, s.seen FROM review_sessions s"
            " JOIN analysts a ON a.name = s.analyst AND a.password_hash = s.password_hash"
            " WHERE s.id = ?",
            (_key(token),),
        )
        now = self._clock()
        if not rows:
            return None
        analyst, created, seen = rows[0]
        expired = now - float(created) > self.settings.session_max_age
        if expired or now - float(seen) > self.settings.idle_timeout:
            self.end(token)
            return None
        self.store.execute("UPDATE review_sessions SET seen = ? WHERE id = ?", (now, _key(token)))
        return str(analyst)

    def end(self, token: str | None) -> None:
        if token:
            self.store.execute("DELETE FROM review_sessions WHERE id = ?", (_key(token),))

    def end_stale(self) -> None:
        """Forget sessions past either limit (run at each sign-in)."""
        now = self._clock()
        self.store.execute(
            "DELETE FROM review_sessions WHERE created < ? OR seen < ?",
            (now - self.settings.session_max_age, now - self.settings.idle_timeout),
        )


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

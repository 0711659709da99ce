"""The quarantine's metadata and its state machine.

    held ──▶ releasing ──▶ released       (an analyst releases; the gate relays and records)
      │          └──────▶ held            (the relay failed: nothing changed)
      ├────▶ rejected                     (an analyst rejects; the sender is told why)
      └────▶ expired                      (held longer than quarantine.max_age_days)

Every state change is an event row (who, when, from, to, why). ``releasing`` is claimed with
one conditional UPDATE, so two analysts (or two gate instances) can never both release a
message. Rows hold only masked values: the message itself is in the sealed file.

SQL text is assembled only from this module's constants (hence the ``noqa: S608``); every
value is a bound parameter.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from piigate.config import Settings
from piigate.errors import LedgerError, QuarantineError
from piigate.keys import quarantine_key
from piigate.model import Screening
from piigate.quarantine.details import (
    DETAILS_SCHEMA,
    SQLITE_QUEUE_INDEX,
    Details,
    Earlier,
    Note,
    details_row,
)
from piigate.quarantine.retries import held_already
from piigate.quarantine.sealed import SealedFiles
from piigate.record.dialects import DB_ERRORS, SqliteDatabase, connect, redact


class State(StrEnum):
    HELD = "held"
    RELEASING = "releasing"
    RELEASED = "released"
    REJECTED = "rejected"
    EXPIRED = "expired"


SCHEMA = (
    """CREATE TABLE IF NOT EXISTS quarantine_messages (
        id TEXT PRIMARY KEY,
        held_at TEXT NOT NULL,
        state TEXT NOT NULL,
        state_at TEXT NOT NULL,
        mail_from TEXT NOT NULL,
        rcpt_tos TEXT NOT NULL,
        organizations TEXT NOT NULL,
        subject TEXT NOT NULL,
        message_id TEXT NOT NULL,
        case_id TEXT,
        purpose TEXT,
        rules TEXT NOT NULL,
        violations TEXT NOT NULL,
        findings TEXT NOT NULL,
        attachments TEXT NOT NULL,
        individuals INTEGER NOT NULL,
        size INTEGER NOT NULL,
        expedited INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS quarantine_events (
        held_id TEXT NOT NULL REFERENCES quarantine_messages(id),
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        reason TEXT NOT NULL,
        expedited INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS quarantine_state ON quarantine_messages (state, held_at)",
    *DETAILS_SCHEMA,
    """CREATE TABLE IF NOT EXISTS analysts (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
)

_COLUMNS = (
    "id, held_at, state, state_at, mail_from, rcpt_tos, organizations, subject, message_id,"
    " case_id, purpose, rules, violations, findings, attachments, individuals, size, expedited"
)
OPEN_ERRORS: tuple[type[Exception], ...] = (LedgerError, *DB_ERRORS, OSError)
_EVENT_COLUMNS = "held_id, at, actor, from_state, to_state, reason, expedited"


@dataclass(frozen=True, slots=True)
class HeldMessage:
    """What analysts see of a held message: masked, counted, never the content."""

    id: str
    held_at: str
    state: State
    state_at: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    organizations: tuple[str, ...]
    subject: str
    message_id: str
    case_id: str | None
    purpose: str | None
    rules: tuple[str, ...]
    violations: tuple[dict[str, str], ...]
    findings: tuple[dict[str, Any], ...]
    attachments: tuple[dict[str, Any], ...]
    individuals: int
    size: int
    expedited: bool

    def age(self, now: datetime) -> timedelta:
        return now - datetime.fromisoformat(self.held_at)


@dataclass(frozen=True, slots=True)
class Event:
    held_id: str
    at: str
    actor: str
    from_state: State
    to_state: State
    reason: str
    expedited: bool


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class QuarantineStore:
    def __init__(self, url: str, sealed: SealedFiles) -> None:
        self.sealed = sealed
        self._lock = threading.Lock()
        try:
            self._db = connect(url, setting="quarantine.url")
            self._create_schema()
        except OPEN_ERRORS as exc:
            raise QuarantineError(
                f"quarantine: cannot open {redact(url)}: {_first_line(exc)}"
            ) from exc

    def _create_schema(self) -> None:
        """Under the database's write lock, so gate instances starting together on one
        PostgreSQL do not race each other's CREATE TABLE."""
        self._db.begin_locked()
        try:
            for statement in SCHEMA:
                self._db.execute(self._db.ddl(statement))
            if isinstance(self._db, SqliteDatabase):
                self._db.execute(SQLITE_QUEUE_INDEX)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    def hold(
        self,
        screening: Screening,
        raw: bytes,
        organizations: Sequence[str],
        earlier: Earlier | None = None,
        contexts: Sequence[str] = (),
    ) -> str:
        """Seal the message and its metadata; only then is it held (the caller may answer 250).
        ``earlier``: what the ledger knew of these individuals (``earlier_disclosures``);
        ``contexts``: each finding's masked context (``piigate.detect.context``).
        A retry of a message already held (see ``quarantine.retries``) gets its id again."""
        retried = held_already(self, screening, raw)
        if retried is not None:
            return retried
        held_id = datetime.now(UTC).strftime("Q%Y%m%d-%H%M%S-") + secrets.token_hex(4)
        self.sealed.write(held_id, raw)
        row = _row(held_id, screening, len(raw), organizations)
        extra, archive_only = details_row(held_id, screening, organizations, earlier, contexts)
        try:
            self.write_all(
                (
                    f"INSERT INTO quarantine_messages ({_COLUMNS})"  # noqa: S608
                    f" VALUES ({', '.join('?' * len(row))})",
                    row,
                ),
                (f"INSERT INTO quarantine_details VALUES ({', '.join('?' * len(extra))})", extra),  # noqa: S608
                ("INSERT INTO quarantine_archive_only VALUES (?, ?)", archive_only),
            )
        except QuarantineError:
            self.sealed.discard(held_id)  # not held after all (the client gets 451): no orphan
            raise
        return held_id

    def details(self, held_id: str) -> Details:
        """What the message page adds to the queue's row (empty for mail held before it)."""
        rows = self._read("SELECT details FROM quarantine_details WHERE held_id = ?", (held_id,))
        return Details.from_json(rows[0][0] if rows else "{}")

    def add_note(self, held_id: str, actor: str, kind: str, text: str) -> None:
        """A line of the message's history that is not a state change: a view, an analyst's
        note, a notice sent to the sender."""
        self._write(
            "INSERT INTO quarantine_notes (held_id, at, actor, kind, text) VALUES (?, ?, ?, ?, ?)",
            (held_id, now_iso(), actor, kind, text),
        )

    def notes(self, held_id: str) -> list[Note]:
        rows = self._read(
            "SELECT at, actor, kind, text FROM quarantine_notes WHERE held_id = ? ORDER BY at",
            (held_id,),
        )
        return [Note(*row) for row in rows]

    def open(self, held_id: str) -> bytes:
        return self.sealed.read(held_id)

    def get(self, held_id: str) -> HeldMessage:
        sql = f"SELECT {_COLUMNS} FROM quarantine_messages WHERE id = ?"  # noqa: S608
        rows = self._read(sql, (held_id,))
        if not rows:
            raise QuarantineError(f"quarantine: no message {held_id!r}")
        return _held(rows[0])

    def messages(self, state: State | None = State.HELD) -> list[HeldMessage]:
        """Newest first."""
        where, params = ("WHERE state = ?", (state.value,)) if state else ("", ())
        rows = self._read(
            f"SELECT {_COLUMNS} FROM quarantine_messages {where}"  # noqa: S608
            " ORDER BY held_at DESC, id DESC",
            params,
        )
        return [_held(row) for row in rows]

    def held_count(self) -> int:
        return int(
            self._read(
                "SELECT COUNT(*) FROM quarantine_messages WHERE state = ?", (State.HELD.value,)
            )[0][0]
        )

    def events(self, held_id: str | None = None) -> list[Event]:
        where, params = ("WHERE held_id = ?", (held_id,)) if held_id else ("", ())
        sql = f"SELECT {_EVENT_COLUMNS} FROM quarantine_events {where} ORDER BY at, held_id"  # noqa: S608
        rows = self._read(sql, params)
        return [Event(r[0], r[1], r[2], State(r[3]), State(r[4]), r[5], bool(r[6])) for r in rows]

    def transition(
        self,
        held_id: str,
        to: State,
        *,
        actor: str,
        reason: str,
        expected: State = State.HELD,
        expedited: bool = False,
    ) -> bool:
        """Move ``held_id`` from ``expected`` to ``to`` and record the event; False when the
        message was not in ``expected`` (someone else acted first)."""
        at = now_iso()
        with self._lock:
            try:
                self._db.reconnect_if_broken()
                self._db.begin()
                changed = self._db.execute(
                    "UPDATE quarantine_messages SET state = ?, state_at = ?,"
                    " expedited = CASE WHEN ? = 1 THEN 1 ELSE expedited END"
                    " WHERE id = ? AND state = ? RETURNING id",
                    (to.value, at, int(expedited), held_id, expected.value),
                )
                claim_or_undo = State.RELEASING in (to, expected) and to is not State.RELEASED
                if changed and not claim_or_undo:
                    origin = State.HELD if expected is State.RELEASING else expected
                    self._event(Event(held_id, at, actor, origin, to, reason, expedited))
                self._db.execute("COMMIT")
            except DB_ERRORS as exc:
                with contextlib.suppress(*DB_ERRORS):
                    self._db.execute("ROLLBACK")
                raise QuarantineError(
                    f"quarantine: cannot change {held_id}: {_first_line(exc)}"
                ) from exc
        return bool(changed)

    def _event(self, event: Event) -> None:
        self._db.execute(
            "INSERT INTO quarantine_events (held_id, at, actor, from_state, to_state, reason,"
            " expedited) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                event.held_id,
                event.at,
                event.actor,
                event.from_state.value,
                event.to_state.value,
                event.reason,
                int(event.expedited),
            ),
        )

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """One statement in its own transaction (for the analysts' table)."""
        return self._read(sql, params)

    def _write(self, sql: str, params: Sequence[Any]) -> None:
        try:
            with self._lock:
                self._db.reconnect_if_broken()
                self._db.execute(sql, params)
        except DB_ERRORS as exc:
            raise QuarantineError(f"quarantine: cannot write: {_first_line(exc)}") from exc

    def write_all(self, *statements: tuple[str, Sequence[Any]]) -> None:
        """Several statements in one transaction: all written, or none."""
        with self._lock:
            try:
                self._db.reconnect_if_broken()
                self._db.begin()
                for sql, params in statements:
                    self._db.execute(sql, params)
                self._db.execute("COMMIT")
            except DB_ERRORS as exc:
                with contextlib.suppress(*DB_ERRORS):
                    self._db.execute("ROLLBACK")
                raise QuarantineError(f"quarantine: cannot write: {_first_line(exc)}") from exc

    def _read(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        try:
            with self._lock:
                self._db.reconnect_if_broken()
                return self._db.execute(sql, params)
        except DB_ERRORS as exc:
            raise QuarantineError(f"quarantine: cannot read: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _row(
    held_id: str, screening: Screening, size: int, organizations: Sequence[str]
) -> tuple[Any, ...]:
    verdict = screening.verdict
    sensitive_subject = any(f.where == "subject" for f in screening.detection.findings)
    subject = (
        "(withheld: it contains sensitive PII)"
        if sensitive_subject
        else (screening.message.subject)
    )
    at = now_iso()
    return (
        held_id,
        at,
        State.HELD.value,
        at,
        screening.envelope.mail_from,
        json.dumps(list(screening.envelope.rcpt_tos)),
        json.dumps(sorted(set(organizations))),
        subject,
        screening.message.message_id,
        verdict.case_id,
        verdict.purpose,
        json.dumps([v.rule for v in verdict.violations]),
        json.dumps([v.public() for v in verdict.violations]),
        json.dumps([f.public() for f in screening.detection.findings]),
        json.dumps(
            [
                {
                    "name": a.name,
                    "content_type": a.content_type,
                    "size": a.size,
                    "grade": a.grade.value,
                    "inspected": a.inspected,
                }
                for a in screening.extraction.attachments
            ]
        ),
        screening.detection.individual_count,
        size,
        0,
    )


def _held(row: tuple[Any, ...]) -> HeldMessage:
    return HeldMessage(
        id=row[0],
        held_at=row[1],
        state=State(row[2]),
        state_at=row[3],
        mail_from=row[4],
        rcpt_tos=tuple(json.loads(row[5])),
        organizations=tuple(json.loads(row[6])),
        subject=row[7],
        message_id=row[8],
        case_id=row[9],
        purpose=row[10],
        rules=tuple(json.loads(row[11])),
        violations=tuple(json.loads(row[12])),
        findings=tuple(json.loads(row[13])),
        attachments=tuple(json.loads(row[14])),
        individuals=int(row[15]),
        size=int(row[16]),
        expedited=bool(row[17]),
    )


def open_quarantine(settings: Settings) -> QuarantineStore:
    """The configured store and its sealed files (the quarantine key must exist)."""
    sealed = SealedFiles(settings.quarantine.dir, quarantine_key(settings))
    return QuarantineStore(settings.quarantine.url, sealed)

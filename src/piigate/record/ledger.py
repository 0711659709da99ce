"""The ledger's one data-access layer.

The embedded default is SQLite in WAL mode (``sqlite:///var/piigate/ledger.db``, created on
first use). Writes go through one connection guarded by a lock; callers on the event loop use
``asyncio.to_thread``.

A record that cannot be committed after the upstream already accepted the message (the
disclosure happened) is appended to a journal file beside the database, fsync'ed, and
replayed into the database the next time the ledger opens: it is never dropped.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from piigate.errors import LedgerError
from piigate.model import Attachment, DisclosureRecord, Grade, Recipient
from piigate.record.migrations import MIGRATIONS


def sqlite_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme != "sqlite":
        raise LedgerError(f"ledger.url: unsupported scheme {parts.scheme!r} (use sqlite:///PATH)")
    path = parts.path[1:] if parts.path.startswith("/") else parts.path
    if not path:
        raise LedgerError("ledger.url: no database file in the URL (sqlite:///var/x.db)")
    return Path(path)


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.journal = path.with_name(path.name + ".journal")
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"ledger {path}: cannot open: {exc}") from exc
        self.replay_journal()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self._db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = row[0] or 0
        for version, steps in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in steps:
                    self._db.execute(statement)
                self._db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
                self._db.execute("COMMIT")
            except sqlite3.Error:
                self._db.execute("ROLLBACK")
                raise

    def check(self) -> None:
        """Raise ``LedgerError`` unless the ledger can take a record now."""
        try:
            with self._lock:
                self._db.execute("SELECT 1 FROM disclosures LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise LedgerError(f"ledger {self.path}: unavailable: {exc}") from exc

    def append(self, record: DisclosureRecord) -> int:
        try:
            with self._lock:
                return self._insert(record)
        except sqlite3.Error as exc:
            raise LedgerError(f"ledger {self.path}: cannot write: {exc}") from exc

    def append_or_journal(self, record: DisclosureRecord) -> int | None:
        """Append; if the database refuses, keep the record in the journal (returns None)."""
        try:
            return self.append(record)
        except LedgerError:
            self._journal(record)
            return None

    def _insert(self, record: DisclosureRecord) -> int:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            cursor = db.execute(
                "INSERT INTO disclosures (recorded_at, sender, message_id, sha256, outcome,"
                " individuals, pii_counts, attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.recorded_at,
                    record.sender,
                    record.message_id,
                    record.sha256,
                    record.outcome,
                    record.individuals,
                    json.dumps(record.pii_counts, sort_keys=True),
                    json.dumps([asdict(a) for a in record.attachments]),
                ),
            )
            record_id = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT INTO disclosure_recipients (disclosure_id, address, organization)"
                " VALUES (?, ?, ?)",
                [(record_id, r.address, r.organization) for r in record.recipients],
            )
            db.execute("COMMIT")
        except sqlite3.Error:
            db.execute("ROLLBACK")
            raise
        return record_id

    def _journal(self, record: DisclosureRecord) -> None:
        line = json.dumps(_to_json(record), sort_keys=True) + "\n"
        try:
            with self._lock, open(self.journal, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise LedgerError(f"ledger journal {self.journal}: cannot write: {exc}") from exc

    def replay_journal(self) -> int:
        """Move journaled records into the database; return how many were moved."""
        if not self.journal.exists():
            return 0
        lines = self.journal.read_text(encoding="utf-8").splitlines()
        records = [_from_json(json.loads(line)) for line in lines if line.strip()]
        try:
            with self._lock:
                for record in records:
                    self._insert(record)
        except sqlite3.Error as exc:
            raise LedgerError(f"ledger {self.path}: cannot replay journal: {exc}") from exc
        self.journal.unlink()
        return len(records)

    def records(self) -> list[DisclosureRecord]:
        try:
            with self._lock:
                rows = self._db.execute(
                    "SELECT id, recorded_at, sender, message_id, sha256, outcome, individuals,"
                    " pii_counts, attachments FROM disclosures ORDER BY id"
                ).fetchall()
                recipients: dict[int, list[Recipient]] = {}
                for disclosure_id, address, org in self._db.execute(
                    "SELECT disclosure_id, address, organization FROM disclosure_recipients"
                    " ORDER BY rowid"
                ):
                    recipients.setdefault(disclosure_id, []).append(Recipient(address, org))
        except sqlite3.Error as exc:
            raise LedgerError(f"ledger {self.path}: cannot read: {exc}") from exc
        return [
            DisclosureRecord(
                id=row[0],
                recorded_at=row[1],
                sender=row[2],
                message_id=row[3],
                sha256=row[4],
                outcome=row[5],
                individuals=row[6],
                pii_counts=json.loads(row[7]),
                attachments=tuple(_attachment(a) for a in json.loads(row[8])),
                recipients=tuple(recipients.get(row[0], ())),
            )
            for row in rows
        ]


def open_ledger(url: str) -> Ledger:
    return Ledger(sqlite_path(url))


def record_to_json(record: DisclosureRecord) -> dict[str, Any]:
    return _to_json(record)


def _to_json(record: DisclosureRecord) -> dict[str, Any]:
    data = asdict(record)
    data["recipients"] = [asdict(r) for r in record.recipients]
    data["attachments"] = [asdict(a) for a in record.attachments]
    return data


def _from_json(data: dict[str, Any]) -> DisclosureRecord:
    return DisclosureRecord(
        recorded_at=data["recorded_at"],
        sender=data["sender"],
        recipients=tuple(Recipient(**r) for r in data["recipients"]),
        pii_counts=dict(data["pii_counts"]),
        individuals=int(data["individuals"]),
        message_id=data["message_id"],
        sha256=data["sha256"],
        outcome=data["outcome"],
        attachments=tuple(_attachment(a) for a in data.get("attachments", [])),
    )


def _attachment(data: dict[str, Any]) -> Attachment:
    return Attachment(
        name=data["name"],
        content_type=data["content_type"],
        size=int(data["size"]),
        grade=Grade(data["grade"]),
        inspected=bool(data["inspected"]),
    )

"""No disclosure without a record: the record of a message is written as an *intent* before
the message is relayed, and becomes a record in the transaction that appends it once the
upstream MTA answered 250.

    intent written (committed: SQLite synchronous=FULL, PostgreSQL commit)
        → relay: MAIL, RCPT, DATA, the final dot, the upstream's reply
        → 250: the record appended and the intent removed, in one transaction
        → refused or failed before delivery: the intent removed (nothing was disclosed)

If the gate dies anywhere in between (``kill -9``, power loss), the intent survives. When a
gate next opens the ledger, every intent whose writer is gone becomes a record marked
``unconfirmed`` ("delivery not confirmed: the gate stopped while relaying"): the accounting
errs toward including a disclosure that may have happened. A writer is gone when it ran on
this host and its process no longer exists, or when its intent is older than ``STALE``
(another host's gate; no relay takes that long). An intent whose record is already in (its
append went to the journal, replayed first) is only removed.

Intents hold what the record holds: hashes, never a PII value.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from piigate.model import DisclosureRecord
from piigate.record import store
from piigate.record.chain import record_from_json, record_to_json
from piigate.record.dialects import Database

STALE = timedelta(minutes=15)
"""An intent this old is recovered whoever wrote it (relays time out long before)."""


def owner() -> str:
    """This process, as intents name their writer."""
    return f"{socket.gethostname()}:{os.getpid()}"


def intend(db: Database, record: DisclosureRecord) -> str:
    """Write the intent for ``record`` (committed when this returns); its id."""
    intent = uuid.uuid4().hex
    db.execute(
        "INSERT INTO ledger_intents (id, owner, created_at, record) VALUES (?, ?, ?, ?)",
        (
            intent,
            owner(),
            datetime.now(UTC).isoformat(),
            json.dumps(record_to_json(record, individuals=True), sort_keys=True),
        ),
    )
    return intent


def abandon(db: Database, intent: str) -> None:
    """Nothing was delivered: forget the intent."""
    db.execute("DELETE FROM ledger_intents WHERE id = ?", (intent,))


def recover(db: Database, now: datetime | None = None) -> int:
    """Turn every intent whose writer is gone into an unconfirmed record (once); return how
    many records that added."""
    now = now or datetime.now(UTC)
    added = 0
    for intent, writer, created_at, data in db.execute(
        "SELECT id, owner, created_at, record FROM ledger_intents ORDER BY created_at"
    ):
        if not _writer_gone(writer, datetime.fromisoformat(created_at), now):
            continue
        record = record_from_json(json.loads(data))
        if store.exists(db, record):
            abandon(db, intent)
            continue
        store.append(db, replace(record, unconfirmed=True), intent)
        added += 1
    return added


def _writer_gone(writer: str, created_at: datetime, now: datetime) -> bool:
    if now - created_at > STALE:
        return True
    host, _, pid = writer.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False

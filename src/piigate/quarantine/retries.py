"""What a gate stopped mid-hold leaves behind, and the client's retry that follows it.

A message is held once its sealed file is written *and* its row committed; only then does
the gate answer 250. Killed between the two (``kill -9``, power loss), it leaves a sealed
file without a row: the client got no reply and sends the message again, so the file holds
nothing that is not held (or delivered) by the retry. ``remove_orphans`` deletes such files
once they are older than any hold can take (``ORPHAN_AGE``; a younger one may be another
gate's hold in progress on a shared folder). Killed after the row but before its 250 (while
the sender's notice is on its way), the message *is* held and the client sends it again:
``held_already`` finds it, so the retry is answered with the same held id instead of a
second copy for the analysts.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from piigate.errors import QuarantineError

if TYPE_CHECKING:
    from piigate.model import Screening
    from piigate.quarantine.store import QuarantineStore

ORPHAN_AGE = timedelta(minutes=15)
"""A sealed file without a row this old is left by a gate that stopped mid-hold (a hold
waits at most its database's busy timeout, 30 s)."""


def held_already(store: QuarantineStore, screening: Screening, raw: bytes) -> str | None:
    """The id of a message still held with this envelope, Message-ID and exactly these
    bytes (a client's retry of a hold it got no reply to), or None."""
    envelope = screening.envelope
    rows = store.execute(
        "SELECT id FROM quarantine_messages WHERE state = 'held' AND message_id = ?"
        " AND mail_from = ? AND rcpt_tos = ? AND size = ?",
        (
            screening.message.message_id,
            envelope.mail_from,
            json.dumps(list(envelope.rcpt_tos)),
            len(raw),
        ),
    )
    for (held_id,) in rows:
        with contextlib.suppress(QuarantineError):  # unreadable: not the same message
            if hmac.compare_digest(store.open(held_id), raw):
                return str(held_id)
    return None


def remove_orphans(
    store: QuarantineStore, older_than: timedelta = ORPHAN_AGE, now: float | None = None
) -> int:
    """Delete sealed (and temporary) files with no row, older than ``older_than``; how many."""
    held = {str(row[0]) for row in store.execute("SELECT id FROM quarantine_messages")}
    cutoff = (time.time() if now is None else now) - older_than.total_seconds()
    folder = store.sealed.directory
    try:
        found = [*folder.glob("*.msg"), *folder.glob(".*.tmp")]
    except OSError:
        return 0
    removed = 0
    for path in found:
        orphan = path.suffix == ".tmp" or path.stem not in held
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to remove
            if orphan and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed

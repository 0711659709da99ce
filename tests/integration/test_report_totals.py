"""The report's counts of held mail, counted by the database itself (GROUP BY), on SQLite
and on PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

from piigate.quarantine.sealed import SealedFiles
from piigate.quarantine.store import QuarantineStore
from piigate.quarantine.totals import held_totals
from tests.unit.test_queue import NOW, NSA, ROWS, TMI, UNS, fill


def test_held_mail_is_counted_per_day_state_sender_rule_and_organisation(
    ledger_url: str, tmp_path: Path
) -> None:
    """Five held messages: counts per state, sender, rule (each rule of a message counted),
    organisation (each of a message's) and day, and one decision time per decided message."""
    store = QuarantineStore(ledger_url, SealedFiles(tmp_path, b"k" * 32))
    try:
        fill(store)
        totals = held_totals(store)
    finally:
        store.close()
    assert totals.total == len(ROWS)
    assert totals.per_state == {"held": 3, "rejected": 1, "expired": 1}
    assert totals.per_sender["alice@dhs.gov"] == 2 and len(totals.per_sender) == 4
    assert totals.per_rule == {NSA: 3, TMI: 1, UNS: 1}
    assert totals.per_organization["a.gov"] == 3 and totals.per_organization["f.gov"] == 1
    assert sum(totals.per_day.values()) == 5 and NOW.date().isoformat() in totals.per_day
    assert totals.decision_hours == [0.0, 0.0]

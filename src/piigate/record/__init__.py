"""record: the disclosure ledger (an accounting of every external disclosure of sensitive PII).

identity   individuals' identity keys → HMAC-SHA-256 under the ledger key
entry      Screening → DisclosureRecord (no raw PII)
chain      canonical JSON, the hash chain, verification
dialects   SQLite / PostgreSQL connections and the append lock
migrations versioned schema steps
store      the SQL (one code path for both databases)
indexer    the individuals' look-up index, filled after each commit
accounting per-person, per-case and per-organisation queries; retention and prune
ledger     Ledger: the data-access layer the gate and the commands use
history    ExposureHistory for the policy, and the keyless fallback for ``scan``
form       records as text, CSV and a printable Privacy Act Disclosure Record (HTML)
"""

from __future__ import annotations

from piigate.record.entry import build_record
from piigate.record.history import EmptyHistory, history_for_scan
from piigate.record.ledger import Ledger, ledger_for, open_ledger

__all__ = [
    "EmptyHistory",
    "Ledger",
    "build_record",
    "history_for_scan",
    "ledger_for",
    "open_ledger",
]

"""record: the disclosure ledger (an accounting of every external disclosure of sensitive PII)."""

from __future__ import annotations

from piigate.record.ledger import Ledger, open_ledger

__all__ = ["Ledger", "open_ledger"]

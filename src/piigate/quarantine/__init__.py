"""quarantine: held mail, sealed at rest, with its metadata, states and the analysts' actions.

sealed.py    the message bytes, AES-256-GCM, one file per held message
store.py     metadata and state changes (held → released | rejected | expired) in a DB
review.py    what analysts do: release (relay + disclosure record), reject, expire
analysts.py  analyst accounts with argon2 password hashes
"""

from __future__ import annotations

from piigate.quarantine.store import HeldMessage, QuarantineStore, State, open_quarantine

__all__ = ["HeldMessage", "QuarantineStore", "State", "open_quarantine"]

"""Cumulative exposure for the policy: the ledger is the ``ExposureHistory``; ``scan``, which
needs no key, falls back to an empty history and says why."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from piigate.config import Settings
from piigate.errors import ConfigError, LedgerError
from piigate.model import ExposureHistory
from piigate.record.ledger import Ledger, ledger_for


class EmptyHistory:
    """No earlier disclosures: every individual is new."""

    def organizations_for(self, individuals: AbstractSet[str]) -> dict[str, frozenset[str]]:
        return {}


def history_for_scan(settings: Settings) -> tuple[ExposureHistory, Ledger | None, str | None]:
    """The ledger when its key and database are at hand (opened without creating or
    migrating anything), else an empty history. Returns (history, the ledger to close or
    None, a one-line note for stderr when the history is empty)."""
    try:
        ledger = ledger_for(settings, migrate=False)
    except (ConfigError, LedgerError) as exc:
        return (
            EmptyHistory(),
            None,
            f"piigate: note: cumulative exposure evaluated against an empty history ({exc})",
        )
    return ledger, ledger, None

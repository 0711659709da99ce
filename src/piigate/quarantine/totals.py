"""What the report counts of the held mail, counted by the database (``GROUP BY``): per day,
state, sender, rule and organisation, and the hours each decided message waited. Six narrow
queries instead of reading every held message (10,000 messages: see bench/bench_queue.py)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from piigate.quarantine.store import QuarantineStore, State

_TABLE = "quarantine_messages"


@dataclass(frozen=True, slots=True)
class HeldTotals:
    per_day: Counter[str] = field(default_factory=Counter)
    """Day held (``2026-12-01``) → messages."""
    per_state: Counter[str] = field(default_factory=Counter)
    per_sender: Counter[str] = field(default_factory=Counter)
    per_rule: Counter[str] = field(default_factory=Counter)
    per_organization: Counter[str] = field(default_factory=Counter)
    decision_hours: list[float] = field(default_factory=list)
    """Hours from hold to decision, one per released, rejected or expired message."""

    @property
    def total(self) -> int:
        return sum(self.per_state.values())


def held_totals(store: QuarantineStore) -> HeldTotals:
    """Raises ``QuarantineError``."""
    return HeldTotals(
        per_day=_grouped(store, "substr(held_at, 1, 10)"),
        per_state=_grouped(store, "state"),
        per_sender=_grouped(store, "mail_from"),
        per_rule=_spread(_grouped(store, "rules")),
        per_organization=_spread(_grouped(store, "organizations")),
        decision_hours=_decision_hours(store),
    )


def _grouped(store: QuarantineStore, expression: str) -> Counter[str]:
    rows = store.execute(
        f"SELECT {expression}, COUNT(*) FROM {_TABLE} GROUP BY {expression}"  # noqa: S608
    )
    return Counter({str(value): int(count) for value, count in rows})


def _spread(lists: Counter[str]) -> Counter[str]:
    """JSON lists (each with its count of messages) → each item's count; the lists are
    parsed in one call (one call per list costs several times more)."""
    keys = list(lists)
    out: Counter[str] = Counter()
    for key, items in zip(keys, json.loads("[" + ",".join(keys) + "]"), strict=True):
        for item in items:
            out[str(item)] += lists[key]
    return out


def _decision_hours(store: QuarantineStore) -> list[float]:
    rows = store.execute(
        f"SELECT held_at, state_at FROM {_TABLE} WHERE state NOT IN (?, ?)",  # noqa: S608
        (State.HELD.value, State.RELEASING.value),
    )
    return [
        (datetime.fromisoformat(at) - datetime.fromisoformat(held)).total_seconds() / 3600
        for held, at in rows
    ]

"""The quarantine report: counts by rule, sender, organisation and day, time to decision,
expedited releases, and the senders to coach. Data only; the template draws it (the chart is
inline SVG, readable without JavaScript)."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from piigate.quarantine.store import Event, HeldMessage, State

CHART_DAYS = 30
CHART_HEIGHT = 110
BAR_WIDTH = 18


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    count: int
    x: int
    height: int


@dataclass(frozen=True, slots=True)
class Report:
    generated_at: str
    total: int
    by_state: list[tuple[str, int]]
    by_rule: list[tuple[str, int]]
    by_sender: list[tuple[str, int]]
    by_organization: list[tuple[str, int]]
    bars: list[Bar]
    chart_width: int
    decided: int
    median_hours: float | None
    expedited: list[Event] = field(default_factory=list)
    coach: list[tuple[str, int]] = field(default_factory=list)


def build_report(messages: list[HeldMessage], events: list[Event], now: datetime) -> Report:
    by_day = Counter(m.held_at[:10] for m in messages)
    days = sorted(by_day)[-CHART_DAYS:]
    peak = max((by_day[d] for d in days), default=1)
    bars = [
        Bar(day, by_day[day], i * (BAR_WIDTH + 4), max(2, by_day[day] * CHART_HEIGHT // peak))
        for i, day in enumerate(days)
    ]
    decided = [m for m in messages if m.state not in (State.HELD, State.RELEASING)]
    hours = [
        (datetime.fromisoformat(m.state_at) - datetime.fromisoformat(m.held_at)).total_seconds()
        / 3600
        for m in decided
    ]
    rules = Counter(rule for m in messages for rule in m.rules)
    senders = Counter(m.mail_from for m in messages)
    return Report(
        generated_at=now.isoformat(timespec="seconds"),
        total=len(messages),
        by_state=sorted(Counter(m.state.value for m in messages).items()),
        by_rule=rules.most_common(),
        by_sender=senders.most_common(20),
        by_organization=Counter(o for m in messages for o in m.organizations).most_common(20),
        bars=bars,
        chart_width=max(len(bars) * (BAR_WIDTH + 4), 40),
        decided=len(decided),
        median_hours=round(statistics.median(hours), 1) if hours else None,
        expedited=[e for e in events if e.expedited and e.to_state is State.RELEASED],
        coach=[(s, n) for s, n in senders.most_common(10) if n > 1],
    )

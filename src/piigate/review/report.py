"""The quarantine report: counts by rule, sender, organisation and day, time to decision,
expedited releases, and the senders to coach. Data only; the template draws it (the chart is
inline SVG, readable without JavaScript)."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from piigate.quarantine.store import Event, HeldMessage, State

CHART_DAYS = 30
CHART_HEIGHT = 110
BAR_WIDTH = 18
BAR_STEP = 40
"""Room per bar: its date label (MM-DD) fits beneath it unclipped."""


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
    by_week: list[tuple[str, int]] = field(default_factory=list)
    by_day: list[tuple[str, int]] = field(default_factory=list)
    decisions: list[tuple[str, int]] = field(default_factory=list)
    """Releases (expedited apart), rejections and expiries, from the events."""


REPORT_TABLES = (
    "by_state",
    "by_rule",
    "by_sender",
    "by_organization",
    "by_day",
    "by_week",
    "decisions",
)
"""The report's tables that ``/report.csv?table=…`` exports."""


def table_csv(report: Report, table: str) -> str:
    """One of ``REPORT_TABLES`` as CSV (a header row, then name,count rows)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([table.removeprefix("by_"), "count"])
    writer.writerows(getattr(report, table))
    return out.getvalue()


def iso_week(day: str) -> str:
    """``2026-12-01`` → ``2026-W49``."""
    year, week, _ = datetime.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def build_report(messages: list[HeldMessage], events: list[Event], now: datetime) -> Report:
    by_day = Counter(m.held_at[:10] for m in messages)
    days = sorted(by_day)[-CHART_DAYS:]
    peak = max((by_day[d] for d in days), default=1)
    bars = [
        Bar(day, by_day[day], 8 + i * BAR_STEP, max(2, by_day[day] * CHART_HEIGHT // peak))
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
        chart_width=max(16 + len(bars) * BAR_STEP, 60),
        decided=len(decided),
        median_hours=round(statistics.median(hours), 1) if hours else None,
        expedited=[e for e in events if e.expedited and e.to_state is State.RELEASED],
        coach=[(s, n) for s, n in senders.most_common(10) if n > 1],
        by_week=sorted(Counter(iso_week(d) for m in messages for d in [m.held_at[:10]]).items()),
        by_day=sorted(by_day.items()),
        decisions=_decisions(events),
    )


def _decisions(events: list[Event]) -> list[tuple[str, int]]:
    counts = Counter(
        f"{e.to_state.value} (expedited)" if e.expedited else e.to_state.value
        for e in events
        if e.to_state in (State.RELEASED, State.REJECTED, State.EXPIRED)
    )
    return sorted(counts.items())

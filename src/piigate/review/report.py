"""The report: every verdict the gate gave (outcomes, refusals and holds by rule, encryption
on the sender's behalf, audit-mode hits, per day and per week, the senders and organisations
involved) from the verdict counts, and the quarantine's side (states, decisions, time to
decision, expedited releases, senders to coach) from the held mail. Data only; the template
draws it (charts are inline SVG, readable without JavaScript); every table exports as CSV."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from piigate.quarantine.store import Event, QuarantineStore, State
from piigate.quarantine.tally import (
    AUDIT,
    ORGANIZATION,
    OUTCOME,
    RULE,
    SENDER,
    Count,
    verdict_counts,
)
from piigate.quarantine.totals import HeldTotals, held_totals

CHART_DAYS = 30
CHART_WEEKS = 26
CHART_HEIGHT = 110
BAR_WIDTH = 18
BAR_STEP = 30
"""Least room per bar; more when its labels are longer (``CHAR_WIDTH``)."""
CHAR_WIDTH = 7
"""Room per character of the charts' 11 px labels (a digit is about 6 px in Chromium; the
browser test measures every label's box against its chart's and its neighbours')."""
LABEL_GAP = 6
MARGIN = 8
TOP = 20
MIN_CHART_WIDTH = 240
"""Wide enough for the empty chart's "No data yet." and a single bar's labels."""

Row = tuple[str | int, ...]


def report_of(store: QuarantineStore, now: datetime) -> Report:
    """The report over everything the store holds (raises ``QuarantineError``)."""
    return build_report(held_totals(store), store.events(), now, verdict_counts(store))


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    count: int
    x: int
    height: int
    center: int = 0
    """Where the bar's two labels are centred."""
    text: str = ""
    """The label under the bar: the day, or the week's Monday, as MM-DD."""

    @property
    def count_text(self) -> str:
        return compact(self.count)


def compact(count: int) -> str:
    """At most five characters: 9,999, 12k, 1.2M (the exact number is in the bar's title and
    the table beside the chart)."""
    if count < 10_000:
        return f"{count:,}"
    if count < 1_000_000:
        return f"{count // 1000}k"
    return f"{count / 1_000_000:.1f}M"


@dataclass(frozen=True, slots=True)
class Chart:
    bars: list[Bar]
    width: int


@dataclass(frozen=True, slots=True)
class Report:
    generated_at: str
    total: int
    by_state: list[Row]
    by_rule: list[Row]
    by_sender: list[Row]
    by_organization: list[Row]
    bars: list[Bar]
    chart_width: int
    decided: int
    median_hours: float | None
    expedited: list[Event] = field(default_factory=list)
    coach: list[tuple[str, int]] = field(default_factory=list)
    by_week: list[Row] = field(default_factory=list)
    by_day: list[Row] = field(default_factory=list)
    decisions: list[Row] = field(default_factory=list)
    """Releases (expedited apart), rejections and expiries, from the events."""
    verdicts: list[Row] = field(default_factory=list)
    verdicts_by_week: list[Row] = field(default_factory=list)
    rules_enforced: list[Row] = field(default_factory=list)
    audit_hits: list[Row] = field(default_factory=list)
    top_senders: list[Row] = field(default_factory=list)
    top_organizations: list[Row] = field(default_factory=list)
    hits_chart: Chart = field(default_factory=lambda: Chart([], 60))
    """Messages that broke a rule (refused, held, encrypted, audit hits), per day."""
    hits_week_chart: Chart = field(default_factory=lambda: Chart([], 60))
    held_week_chart: Chart = field(default_factory=lambda: Chart([], 60))
    hits_by_day: list[Row] = field(default_factory=list)
    hits_by_week: list[Row] = field(default_factory=list)
    """The hits charts' numbers, as tables (each exports as CSV)."""


REPORT_TABLES: dict[str, tuple[str, ...]] = {
    "verdicts": ("outcome", "messages"),
    "verdicts_by_week": ("week", "outcome", "messages"),
    "hits_by_day": ("day", "messages that broke a rule"),
    "hits_by_week": ("week", "messages that broke a rule"),
    "rules_enforced": ("action", "rule", "messages"),
    "audit_hits": ("rule", "messages"),
    "top_senders": ("sender", "messages that broke a rule"),
    "top_organizations": ("organisation", "messages that broke a rule"),
    "by_state": ("state", "count"),
    "by_rule": ("rule", "count"),
    "by_sender": ("sender", "count"),
    "by_organization": ("organization", "count"),
    "by_day": ("day", "count"),
    "by_week": ("week", "count"),
    "decisions": ("decision", "count"),
}
"""The report's tables that ``/report.csv?table=…`` exports, with their CSV header."""


def table_csv(report: Report, table: str) -> str:
    """One of ``REPORT_TABLES`` as CSV: its header row, then its rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPORT_TABLES[table])
    writer.writerows(getattr(report, table))
    return out.getvalue()


def iso_week(day: str) -> str:
    """``2026-12-01`` → ``2026-W49``."""
    year, week, _ = datetime.fromisoformat(day[:10]).isocalendar()
    return f"{year}-W{week:02d}"


def chart(per_period: Counter[str], *, weekly: bool = False) -> Chart:
    """Bars for the last ``CHART_DAYS`` days (keys ``2026-12-01``) or ``CHART_WEEKS`` weeks
    (keys ``2026-W49``, labelled by their Monday), each as wide as its longest label needs,
    so no label is clipped or runs into its neighbour's."""
    keys = sorted(per_period)[-(CHART_WEEKS if weekly else CHART_DAYS) :]
    texts = [monday(key) if weekly else key[5:10] for key in keys]
    peak = max((per_period[k] for k in keys), default=1) or 1
    shown = [(text, compact(per_period[key])) for key, text in zip(keys, texts, strict=True)]
    widest = max((len(label) for pair in shown for label in pair), default=0)
    step = max(BAR_STEP, widest * CHAR_WIDTH + LABEL_GAP)
    bars = [
        Bar(
            key,
            per_period[key],
            MARGIN + i * step + (step - BAR_WIDTH) // 2,
            max(2, per_period[key] * CHART_HEIGHT // peak),
            center=MARGIN + i * step + step // 2,
            text=text,
        )
        for i, (key, text) in enumerate(zip(keys, texts, strict=True))
    ]
    return Chart(bars, max(2 * MARGIN + len(bars) * step, MIN_CHART_WIDTH))


def monday(week: str) -> str:
    """``2026-W49`` → ``11-30`` (the week's Monday, MM-DD)."""
    year, _, number = week.partition("-W")
    return datetime.fromisocalendar(int(year), int(number), 1).strftime("%m-%d")


def weekly(per_day: Counter[str]) -> Counter[str]:
    out: Counter[str] = Counter()
    for day, n in per_day.items():
        out[iso_week(day)] += n
    return out


def build_report(
    held: HeldTotals, events: list[Event], now: datetime, counts: Sequence[Count] = ()
) -> Report:
    held_chart = chart(held.per_day)
    hours = held.decision_hours
    senders = held.per_sender
    return Report(
        generated_at=now.isoformat(timespec="seconds"),
        total=held.total,
        by_state=sorted(held.per_state.items()),
        by_rule=list(held.per_rule.most_common()),
        by_sender=list(senders.most_common(TOP)),
        by_organization=list(held.per_organization.most_common(TOP)),
        bars=held_chart.bars,
        chart_width=held_chart.width,
        held_week_chart=chart(weekly(held.per_day), weekly=True),
        decided=len(hours),
        median_hours=round(statistics.median(hours), 1) if hours else None,
        expedited=[e for e in events if e.expedited and e.to_state is State.RELEASED],
        coach=[(s, n) for s, n in senders.most_common(10) if n > 1],
        by_week=sorted(weekly(held.per_day).items()),
        by_day=sorted(held.per_day.items()),
        decisions=_decisions(events),
        **_verdicts(counts),
    )


def _verdicts(counts: Sequence[Count]) -> dict[str, Any]:
    def total(kind: str) -> Counter[str]:
        out: Counter[str] = Counter()
        for c in counts:
            if c.kind == kind:
                out[c.name] += c.count
        return out

    weeks: Counter[tuple[str, str]] = Counter()
    hits: Counter[str] = Counter()
    for c in counts:
        if c.kind == OUTCOME:
            weeks[iso_week(c.day), c.name] += c.count
            if c.name not in ("delivered", "temporary failure"):
                hits[c.day] += c.count
    return {
        "verdicts": list(total(OUTCOME).most_common()),
        "verdicts_by_week": [(w, o, n) for (w, o), n in sorted(weeks.items())],
        "rules_enforced": _split_rules(total(RULE).most_common()),
        "audit_hits": list(total(AUDIT).most_common()),
        "top_senders": list(total(SENDER).most_common(TOP)),
        "top_organizations": list(total(ORGANIZATION).most_common(TOP)),
        "hits_chart": chart(hits),
        "hits_week_chart": chart(weekly(hits), weekly=True),
        "hits_by_day": sorted(hits.items()),
        "hits_by_week": sorted(weekly(hits).items()),
    }


def _split_rules(rules: Iterable[tuple[str, int]]) -> list[Row]:
    """``reject:rule-id`` → (refused, rule-id, n); holds and encryptions alike."""
    words = {"reject": "refused", "quarantine": "held", "encrypt": "encrypted"}
    out: list[Row] = []
    for name, n in rules:
        action, _, rule = name.partition(":")
        out.append((words.get(action, action), rule, n))
    return out


def _decisions(events: list[Event]) -> list[Row]:
    counts = Counter(
        f"{e.to_state.value} (expedited)" if e.expedited else e.to_state.value
        for e in events
        if e.to_state in (State.RELEASED, State.REJECTED, State.EXPIRED)
    )
    return sorted(counts.items())

"""What a sweep writes into ``--out DIR``: ``summary.json``, ``messages.csv`` (the incident
table, one row per external message, safe to open in a spreadsheet) and ``report.html``,
self-contained (its charts are inline SVG drawn by the Jinja2 template, nothing is fetched).
Masked findings only; no PII value."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from piigate.inert import for_spreadsheet as spreadsheet_safe
from piigate.sweep.tally import Tally
from piigate.sweep.work import SweptMessage

CSV_COLUMNS = (
    "date",
    "sender",
    "recipients",
    "organizations",
    "verdict",
    "rules",
    "pii",
    "individuals",
    "findings",
    "message_id",
    "location",
)
CHART_BARS = 20
"""Bars per chart; the rest are summed into one "others" bar."""


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    share: float
    """The bar's length as a fraction of the longest."""


class MessageTable:
    """messages.csv, one row per external message, written as the results arrive."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = path.open("w", newline="", encoding="utf-8")
        self.writer = csv.writer(self.handle, lineterminator="\n")
        self.writer.writerow(CSV_COLUMNS)

    def add(self, messages: Iterable[SweptMessage]) -> None:
        for message in messages:
            self.writer.writerow(spreadsheet_safe(cell) for cell in csv_row(message))

    def close(self) -> None:
        self.handle.close()


def write_outputs(out: Path, tally: Tally, run: dict[str, Any]) -> None:
    """summary.json and report.html (messages.csv is written as the sweep goes)."""
    out.mkdir(parents=True, exist_ok=True)
    summary = {**run, **tally.summary()}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    (out / "report.html").write_text(report_html(tally, summary), encoding="utf-8")


def csv_row(message: SweptMessage) -> list[object]:
    return [
        message.sent,
        message.sender,
        "; ".join(message.recipients),
        "; ".join(message.organizations),
        message.action,
        "; ".join(message.rules),
        "; ".join(f"{kind}={n}" for kind, n in message.pii_counts.items()),
        message.individuals,
        "; ".join(f"{f['type']} {f['masked']} in {f['where']}" for f in message.findings),
        message.message_id,
        message.location,
    ]


def _order(message: SweptMessage) -> tuple[str, str]:
    return (message.sent, message.location)


def bars(counts: Counter[str] | dict[str, int], *, by_label: bool = False) -> list[Bar]:
    """The chart's bars: largest first (or in label order, for months)."""
    items = sorted(counts.items()) if by_label else Counter(counts).most_common()
    if len(items) > CHART_BARS and not by_label:
        rest = sum(value for _, value in items[CHART_BARS - 1 :])
        items = [*items[: CHART_BARS - 1], ("others", rest)]
    longest = max((value for _, value in items), default=0) or 1
    return [Bar(label, value, value / longest) for label, value in items]


def report_html(tally: Tally, summary: dict[str, Any]) -> str:
    env = Environment(
        loader=PackageLoader("piigate.sweep", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
    )
    incidents = sorted(tally.incidents, key=_order)
    return env.get_template("sweep_report.html.j2").render(
        summary=summary,
        charts=[
            ("Incidents by month", bars(tally.months, by_label=True)),
            ("Incidents by recipient organisation", bars(tally.organizations)),
            ("Rules broken", bars(tally.rules)),
        ],
        incidents=incidents,
    )

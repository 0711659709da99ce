"""The analysts' queue as one SQL query: filters, search, sort and a page of rows, plus the
counts a supervisor checks first (per state, and the oldest held message).

The page reads only the columns the queue shows (never the findings), with LIMIT/OFFSET and
one COUNT, so it costs the same at ten held messages and at ten thousand (bench/bench_queue.py).
Every value is a bound parameter; SQL text comes only from this module's constants.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piigate.quarantine.store import QuarantineStore, State

PER_PAGE = 50
SORTS = {
    "held": "m.held_at",
    "size": "m.size",
    "individuals": "m.individuals",
    "organizations": "COALESCE(d.organization_count, 0)",
}
"""Sort keys the queue offers → the SQL expression they order by."""

_FROM = (
    "FROM quarantine_messages m LEFT JOIN quarantine_details d ON d.held_id = m.id"
    " LEFT JOIN quarantine_archive_only a ON a.held_id = m.id"
)
_FROM_MESSAGES = "FROM quarantine_messages m"
_ROW = (
    "m.id, m.held_at, m.state, m.state_at, m.mail_from, m.subject, m.organizations, m.rules,"
    " m.individuals, m.size, COALESCE(d.already_disclosed, 0), COALESCE(a.individuals, 0)"
)
DISCLOSED = {
    "on": "COALESCE(d.already_disclosed, 0) > 0",
    "live": "COALESCE(d.already_disclosed, 0) > COALESCE(a.individuals, 0)",
    "archive": "COALESCE(a.individuals, 0) > 0",
}
"""The "already disclosed" filter → its condition: in any record; in the gate's own records
(someone disclosed before not only in reconstructed ones); only in records ``piigate sweep``
reconstructed from archived mail (for someone). Mail held before the split was kept counts
as the gate's own."""


@dataclass(frozen=True, slots=True)
class QueueQuery:
    """What the analyst asked for; every field has a neutral default (the held mail)."""

    state: str = State.HELD.value
    """A state's name, or "all"."""
    rule: str = ""
    sender: str = ""
    organization: str = ""
    case: str = ""
    since: str = ""
    until: str = ""
    """Dates (YYYY-MM-DD), inclusive, on when the message was held."""
    disclosed_before: bool = False
    """Only messages with individuals the ledger had already seen disclosed."""
    disclosed: str = ""
    """Where the ledger had seen them (a ``DISCLOSED`` key; "on": in any record)."""
    search: str = ""
    """In the sender, subject, Message-ID and queue id."""
    sort: str = "held"
    descending: bool = True
    page: int = 1

    @classmethod
    def from_params(cls, params: dict[str, str]) -> QueueQuery:
        """From a query string; unknown values fall back to the defaults."""
        state = params.get("state", State.HELD.value)
        page = params.get("page", "1")
        return cls(
            state=state if state == "all" or state in State.__members__.values() else "held",
            rule=params.get("rule", "").strip(),
            sender=params.get("sender", "").strip(),
            organization=params.get("organization", "").strip(),
            case=params.get("case", "").strip(),
            since=_date(params.get("since", "")),
            until=_date(params.get("until", "")),
            disclosed_before=params.get("disclosed", "") in DISCLOSED,
            disclosed=params.get("disclosed", "") if params.get("disclosed") in DISCLOSED else "",
            search=params.get("q", "").strip(),
            sort=params.get("sort", "held") if params.get("sort") in SORTS else "held",
            descending=params.get("order", "desc") != "asc",
            page=max(1, int(page)) if page.isdigit() else 1,
        )

    def where(self) -> tuple[str, list[Any]]:
        conditions: list[str] = []
        params: list[Any] = []

        def add(condition: str, *values: Any) -> None:
            conditions.append(condition)
            params.extend(values)

        if self.state != "all":
            add("m.state = ?", self.state)
        if self.rule:
            add("m.rules LIKE ? ESCAPE '\\'", f"%{_like(json.dumps(self.rule))}%")
        if self.sender:
            add("LOWER(m.mail_from) LIKE ? ESCAPE '\\'", f"%{_like(self.sender.lower())}%")
        if self.organization:
            add("m.organizations LIKE ? ESCAPE '\\'", f"%{_like(self.organization.lower())}%")
        if self.case:
            add("LOWER(m.case_id) = ?", self.case.lower())
        if self.since:
            add("m.held_at >= ?", self.since)
        if self.until:
            add("m.held_at < ?", self.until + "T99")  # the whole day, whatever the time
        if self.disclosed_before:
            add(DISCLOSED[self.disclosed or "on"])
        if self.search:
            pattern = f"%{_like(self.search.lower())}%"
            fields = ("m.mail_from", "m.subject", "m.message_id", "m.id")
            add(
                "(" + " OR ".join(f"LOWER({f}) LIKE ? ESCAPE '\\'" for f in fields) + ")",
                *[pattern] * len(fields),
            )
        return (" WHERE " + " AND ".join(conditions)) if conditions else "", params


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: str
    held_at: str
    state: State
    state_at: str
    mail_from: str
    subject: str
    organizations: tuple[str, ...]
    rules: tuple[str, ...]
    individuals: int
    size: int
    already_disclosed: int
    archive_only: int = 0
    """Of ``already_disclosed``, those known only from records reconstructed from archives."""


@dataclass(frozen=True, slots=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class QueueCounts:
    by_state: dict[str, int]
    oldest_held_at: str | None

    def oldest_age(self, now: datetime) -> str:
        if self.oldest_held_at is None:
            return "nothing held"
        return age_text(now - datetime.fromisoformat(self.oldest_held_at))


def queue_page(store: QuarantineStore, query: QueueQuery, per_page: int = PER_PAGE) -> QueuePage:
    """Count and pick the page's ids from the narrow index, then read those rows only."""
    where, params = query.where()
    joined = query.disclosed_before or query.sort == "organizations"
    source = _FROM if joined else _FROM_MESSAGES  # join the details only when needed
    total = int(store.execute(f"SELECT COUNT(*) {source}{where}", params)[0][0])
    pages = max(1, math.ceil(total / per_page))
    page = min(query.page, pages)
    direction = "DESC" if query.descending else "ASC"
    ids = [
        row[0]
        for row in store.execute(
            f"SELECT m.id {source}{where}"
            f" ORDER BY {SORTS[query.sort]} {direction}, m.id {direction} LIMIT ? OFFSET ?",
            [*params, per_page, (page - 1) * per_page],
        )
    ]
    if not ids:
        return QueuePage([], total, page, pages)
    marks = ", ".join("?" * len(ids))
    rows = store.execute(f"SELECT {_ROW} {_FROM} WHERE m.id IN ({marks})", ids)
    order = {held_id: i for i, held_id in enumerate(ids)}
    found = sorted((_queue_row(r) for r in rows), key=lambda r: order[r.id])
    return QueuePage(found, total, page, pages)


def queue_counts(store: QuarantineStore) -> QueueCounts:
    rows = store.execute("SELECT state, COUNT(*) FROM quarantine_messages GROUP BY state")
    oldest = store.execute(
        "SELECT MIN(held_at) FROM quarantine_messages WHERE state = ?", (State.HELD.value,)
    )
    counts = {state.value: 0 for state in State if state is not State.RELEASING}
    counts.update({str(state): int(n) for state, n in rows})
    return QueueCounts(counts, oldest[0][0] if oldest and oldest[0][0] else None)


def age_text(age: Any) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} days"


def _queue_row(row: tuple[Any, ...]) -> QueueRow:
    return QueueRow(
        id=row[0],
        held_at=row[1],
        state=State(row[2]),
        state_at=row[3],
        mail_from=row[4],
        subject=row[5],
        organizations=tuple(json.loads(row[6])),
        rules=tuple(json.loads(row[7])),
        individuals=int(row[8]),
        size=int(row[9]),
        already_disclosed=int(row[10]),
        archive_only=int(row[11]),
    )


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _date(text: str) -> str:
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date().isoformat()
    except ValueError:
        return ""

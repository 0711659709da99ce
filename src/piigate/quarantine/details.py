"""What the message page shows beyond the queue's row, written once when the message is held:
the internal recipients (already delivered), the message's Date, and what the ledger knew of
its individuals then — how many were already disclosed, to which organisations, and how many
organisations the most-exposed person would have reached after a release. ``DETAILS_SCHEMA``
also creates the history's notes and the verdict counts.

Counts and organisation names only: never an identity key or a value. Also the history lines
that are not state changes (views, notes, notices), as ``Note``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from piigate.labels import sent_date
from piigate.model import FindingCount, Screening
from piigate.record import Ledger

DETAILS_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS quarantine_details (
        held_id TEXT PRIMARY KEY,
        already_disclosed INTEGER NOT NULL,
        organization_count INTEGER NOT NULL,
        details TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS quarantine_notes (
        held_id TEXT NOT NULL,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS quarantine_notes_held ON quarantine_notes (held_id, at)",
    # Of a held message's individuals already disclosed, those known only from records
    # ``piigate sweep`` reconstructed from archived mail (the queue keeps them apart).
    """CREATE TABLE IF NOT EXISTS quarantine_archive_only (
        held_id TEXT PRIMARY KEY,
        individuals INTEGER NOT NULL
    )""",
    # The queue's default order (newest first, the id breaking ties), on both databases.
    "CREATE INDEX IF NOT EXISTS quarantine_order ON quarantine_messages (state, held_at, id)",
    # Every verdict counted per day (piigate.quarantine.tally), for the report.
    """CREATE TABLE IF NOT EXISTS verdict_counts (
        day TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, kind, name)
    )""",
)

SQLITE_QUEUE_INDEX = """CREATE INDEX IF NOT EXISTS quarantine_queue ON quarantine_messages
    (state, held_at, id, mail_from, subject, message_id, individuals, size, rules,
     organizations, case_id)"""
"""Every column the queue filters, searches and sorts on: on SQLite the queue reads this
narrow index, never the wide rows (findings), until it fetches the page's fifty. Not on
PostgreSQL, whose index entries are limited to about 2.7 KB (a long subject would make the
hold fail); it scans the table's rows well enough (bench/bench_queue.py)."""


@dataclass(frozen=True, slots=True)
class Details:
    internal_recipients: tuple[str, ...] = ()
    sent_date: str = ""
    """The message's Date header, as the sender wrote it."""
    ledger_known: bool = False
    """False when the ledger could not be asked at hold time (the rest is then empty)."""
    already_disclosed: int = 0
    """Individuals in this message the ledger had already seen disclosed outside."""
    earlier_organizations: tuple[tuple[str, int], ...] = ()
    """(organisation, individuals of this message already disclosed to it), most first."""
    new_organizations: tuple[tuple[str, int], ...] = ()
    """(organisation, individuals to whom a release would add it), most first."""
    most_before: int = 0
    most_after: int = 0
    """Most organisations any one of these individuals reached before / would reach after."""
    earlier_cases: tuple[tuple[str, int], ...] = ()
    """(case id, people of this message disclosed before under it), most first."""
    contexts: tuple[str, ...] = ()
    """Each finding's masked context, in the findings' order (``piigate.detect.context``),
    made by the gate when it held the message; empty for mail held before it was kept."""
    earlier_by_origin: tuple[tuple[str, int, int], ...] = ()
    """(organisation, people disclosed to it in the gate's own records, people disclosed to
    it in records reconstructed from archived mail), most first."""
    reconstructed_only: int = 0
    """Individuals already disclosed only in records reconstructed from archived mail."""
    omitted: int = 0
    """Findings found beyond those listed (``Detection.omitted``), counted exactly."""
    omitted_by: tuple[tuple[str, str, int], ...] = ()
    """The same, by kind and place: (entity type, where, count)."""

    def counted(self) -> dict[tuple[str, str], int]:
        """``omitted_by`` by (entity type, where)."""
        return {(kind, where): count for kind, where, count in self.omitted_by}

    @classmethod
    def from_json(cls, text: str) -> Details:
        data = json.loads(text)
        return cls(
            internal_recipients=tuple(data.get("internal_recipients", ())),
            sent_date=str(data.get("sent_date", "")),
            ledger_known=bool(data.get("ledger_known", False)),
            already_disclosed=int(data.get("already_disclosed", 0)),
            earlier_organizations=_pairs(data.get("earlier_organizations", ())),
            new_organizations=_pairs(data.get("new_organizations", ())),
            most_before=int(data.get("most_before", 0)),
            most_after=int(data.get("most_after", 0)),
            earlier_cases=_pairs(data.get("earlier_cases", ())),
            contexts=tuple(str(c) for c in data.get("contexts", ())),
            earlier_by_origin=tuple(
                (str(org), int(live), int(rebuilt))
                for org, live, rebuilt in data.get("earlier_by_origin", ())
            ),
            reconstructed_only=int(data.get("reconstructed_only", 0)),
            omitted=int(data.get("omitted", 0)),
            omitted_by=tuple(
                (str(kind), str(where), int(count))
                for kind, where, count in data.get("omitted_by", ())
            ),
        )


def omitted_by_place(omitted: Iterable[FindingCount]) -> list[tuple[str, str, int]]:
    """Findings counted but not kept, summed by kind and place (columns and grades merged:
    the message page groups findings by kind and place)."""
    sums: Counter[tuple[str, str]] = Counter()
    for more in omitted:
        sums[more.entity_type, more.where] += more.count
    return [(kind, where, count) for (kind, where), count in sorted(sums.items())]


def _pairs(items: Sequence[Sequence[Any]]) -> tuple[tuple[str, int], ...]:
    return tuple((str(name), int(count)) for name, count in items)


@dataclass(frozen=True, slots=True)
class Earlier:
    """What the ledger said of a message's individuals when it was held."""

    organizations: Mapping[str, frozenset[str]]
    """Identity key → organisations that already received the person's PII."""
    cases: Mapping[str, int]
    """Case id → how many of the (first ``CASE_LOOKUPS``) people disclosed before it covered."""
    reconstructed: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Identity key → organisations known to hold the person's PII from records
    reconstructed from archived mail (``organizations`` holds these too)."""
    live: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Identity key → organisations from the gate's own records."""


CASE_LOOKUPS = 20
"""People whose earlier disclosures are read one by one for their cases (the rest counted)."""


def earlier_disclosures(ledger: Ledger, individuals: AbstractSet[str]) -> Earlier:
    """Through the ledger's public look-ups only; raises ``LedgerError``."""
    live = ledger.organizations_for(individuals, "live") if individuals else {}
    rebuilt = ledger.organizations_for(individuals, "reconstructed") if individuals else {}
    organizations = {
        key: live.get(key, frozenset()) | rebuilt.get(key, frozenset())
        for key in live.keys() | rebuilt.keys()
    }
    cases: Counter[str] = Counter()
    for key in sorted(k for k, orgs in organizations.items() if orgs)[:CASE_LOOKUPS]:
        cases.update({r.case_id for r in ledger.accounting(key) if r.case_id})
    return Earlier(organizations, dict(cases), rebuilt, live)


@dataclass(frozen=True, slots=True)
class Note:
    at: str
    actor: str
    kind: str
    """``view``, ``note`` (an analyst's) or ``notice`` (mailed to the sender)."""
    text: str


def exposure(
    individuals: AbstractSet[str],
    organizations: Sequence[str],
    earlier: Mapping[str, frozenset[str]],
) -> dict[str, Any]:
    """The ledger's answer summarised: counts per organisation, never a key."""
    now = frozenset(organizations)
    before: Counter[str] = Counter()
    adds: Counter[str] = Counter()
    most_before = most_after = 0
    for key in individuals:
        seen = earlier.get(key, frozenset())
        before.update(seen)
        adds.update(now - seen)
        most_before = max(most_before, len(seen))
        most_after = max(most_after, len(seen | now))
    return {
        "ledger_known": True,
        "already_disclosed": sum(1 for key in individuals if earlier.get(key)),
        "earlier_organizations": before.most_common(),
        "new_organizations": adds.most_common(),
        "most_before": most_before,
        "most_after": most_after,
    }


def by_origin(
    individuals: AbstractSet[str],
    live: Mapping[str, frozenset[str]],
    rebuilt: Mapping[str, frozenset[str]],
) -> dict[str, Any]:
    """The earlier disclosures split by where the ledger has them from: per organisation,
    people in the gate's own records and in records reconstructed from archived mail."""
    gate: Counter[str] = Counter(o for key in individuals for o in live.get(key, ()))
    archive: Counter[str] = Counter(o for key in individuals for o in rebuilt.get(key, ()))
    rows = sorted(
        ((org, gate[org], archive[org]) for org in gate.keys() | archive.keys()),
        key=lambda row: (-(row[1] + row[2]), row[0]),
    )
    return {
        "earlier_by_origin": rows,
        "reconstructed_only": sum(
            1 for key in individuals if rebuilt.get(key) and not live.get(key)
        ),
    }


def details_row(
    held_id: str,
    screening: Screening,
    organizations: Sequence[str],
    earlier: Earlier | None,
    contexts: Sequence[str] = (),
) -> tuple[tuple[Any, ...], tuple[str, int]]:
    """The ``quarantine_details`` row and the ``quarantine_archive_only`` row of a held
    message. ``contexts``: each finding's masked context (already masked: never a value)."""
    individuals = screening.detection.individuals
    data: dict[str, Any] = {
        "internal_recipients": list(screening.verdict.internal_recipients),
        "sent_date": sent_date(screening.message.header("Date")),
        "contexts": list(contexts),
        "omitted": screening.detection.omitted_count,
        "omitted_by": omitted_by_place(screening.detection.omitted),
    }
    if earlier is not None:
        data.update(exposure(individuals, organizations, earlier.organizations))
        data.update(by_origin(individuals, earlier.live, earlier.reconstructed))
        data["earlier_cases"] = sorted(earlier.cases.items(), key=lambda c: (-c[1], c[0]))
    details = (
        held_id,
        int(data.get("already_disclosed", 0)),
        len(set(organizations)),
        json.dumps(data),
    )
    return details, (held_id, int(data.get("reconstructed_only", 0)))

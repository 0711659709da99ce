"""The queue's one query on a real SQLite quarantine: every filter, the search, each sort
both ways, pages, and the counts per state with the oldest held message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from piigate.quarantine.queue import QueueQuery, queue_counts, queue_page
from piigate.quarantine.sealed import SealedFiles
from piigate.quarantine.store import _COLUMNS, QuarantineStore

NOW = datetime.now(UTC).replace(microsecond=0)
NSA, TMI, UNS = "no-sharing-agreement", "too-many-individuals", "unscannable-content"
# fmt: off
ROWS = [
    # id, days ago, state, sender, subject, organisations, rules, individuals, size, earlier
    ("Q1", 0, "held", "alice@dhs.gov", "Roster A", ["a.gov"], [NSA], 5, 900, 0),
    ("Q2", 1, "held", "bob@dhs.gov", "Payroll", ["a.gov", "b.gov"], [TMI], 400, 50, 3),
    ("Q3", 2, "rejected", "alice@dhs.gov", "Roster B", ["c.gov"], [NSA], 1, 10, 0),
    ("Q4", 9, "held", "carol@dhs.gov", "100%_done", ["d.gov", "e.gov", "f.gov"], [UNS], 0, 7000, 0),
    ("Q5", 20, "expired", "dave@dhs.gov", "Old", ["a.gov"], [NSA], 2, 30, 1),
]
# fmt: on
ARCHIVE_ONLY = {"Q2": 1, "Q5": 1}
"""Of each message's earlier-disclosed people, those known only from reconstructed records:
Q2 has 3 (one only from archived mail), Q5 its one only from archived mail."""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[QuarantineStore]:
    store = QuarantineStore(f"sqlite:///{tmp_path}/q.db", SealedFiles(tmp_path, b"k" * 32))
    fill(store)
    yield store
    store.close()


def fill(store: QuarantineStore) -> None:
    """``ROWS`` held in ``store``, each decided (if it was) when it was held."""
    statements = []
    for held_id, ago, state, sender, subject, orgs, rules, people, size, earlier in ROWS:
        at = (NOW - timedelta(days=ago)).isoformat()
        row = (
            held_id, at, state, at, sender, json.dumps(["r@x"]), json.dumps(orgs), subject,
            f"<{held_id.lower()}@dhs.gov>", "OPR-1" if held_id == "Q2" else None, None,
            json.dumps(rules), "[]", "[]", "[]", people, size, 0,
        )  # fmt: skip
        marks = ", ".join("?" * len(row))
        statements.append((f"INSERT INTO quarantine_messages ({_COLUMNS}) VALUES ({marks})", row))
        details = (held_id, earlier, len(orgs), "{}")
        statements.append(("INSERT INTO quarantine_details VALUES (?, ?, ?, ?)", details))
        if held_id in ARCHIVE_ONLY:
            only = (held_id, ARCHIVE_ONLY[held_id])
            statements.append(("INSERT INTO quarantine_archive_only VALUES (?, ?)", only))
    store.write_all(*statements)


def ids(store: QuarantineStore, **params: str) -> list[str]:
    return [r.id for r in queue_page(store, QueueQuery.from_params(params)).rows]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Q1", "Q2", "Q4"]),  # held, newest first
        ({"state": "all"}, ["Q1", "Q2", "Q3", "Q4", "Q5"]),
        ({"state": "rejected"}, ["Q3"]),
        ({"state": "expired"}, ["Q5"]),
        ({"state": "all", "rule": NSA}, ["Q1", "Q3", "Q5"]),
        ({"state": "all", "sender": "ALICE"}, ["Q1", "Q3"]),
        ({"state": "all", "organization": "b.gov"}, ["Q2"]),
        ({"state": "all", "case": "opr-1"}, ["Q2"]),
        ({"state": "all", "disclosed": "on"}, ["Q2", "Q5"]),
        ({"state": "all", "disclosed": "live"}, ["Q2"]),  # Q5's only one is from archives
        ({"state": "all", "disclosed": "archive"}, ["Q2", "Q5"]),
        ({"state": "all", "disclosed": "bogus"}, ["Q1", "Q2", "Q3", "Q4", "Q5"]),
        ({"state": "all", "q": "roster"}, ["Q1", "Q3"]),
        ({"state": "all", "q": "<q4@"}, ["Q4"]),  # Message-ID
        ({"state": "all", "q": "q5"}, ["Q5"]),  # queue id
        ({"state": "all", "q": "100%_"}, ["Q4"]),  # LIKE's wildcards are literal
        ({"state": "all", "q": "%"}, ["Q4"]),
        ({"state": "all", "sort": "individuals"}, ["Q2", "Q1", "Q5", "Q3", "Q4"]),
        ({"state": "all", "sort": "size", "order": "asc"}, ["Q3", "Q5", "Q2", "Q1", "Q4"]),
        ({"sort": "organizations"}, ["Q4", "Q2", "Q1"]),
        ({"state": "all", "sort": "held", "order": "asc"}, ["Q5", "Q4", "Q3", "Q2", "Q1"]),
        ({"state": "bogus", "sort": "bogus"}, ["Q1", "Q2", "Q4"]),  # unknown: the defaults
    ],
)
def test_filters_search_and_sorts(
    store: QuarantineStore, params: dict[str, str], expected: list[str]
) -> None:
    """Each filter, the search (sender, subject, Message-ID, id) and each sort pick these."""
    assert ids(store, **params) == expected


def test_date_range_is_inclusive_of_whole_days(store: QuarantineStore) -> None:
    """``since``/``until`` are days: a message held at any time of the last day is in."""
    since = (NOW - timedelta(days=9)).date().isoformat()
    until = (NOW - timedelta(days=1)).date().isoformat()
    assert ids(store, state="all", since=since, until=until) == ["Q2", "Q3", "Q4"]


def test_pages_hold_the_filters_and_clamp(store: QuarantineStore) -> None:
    """Two per page: page 2 continues in order; a page past the end shows the last."""
    query = QueueQuery.from_params({"state": "all", "page": "2"})
    page = queue_page(store, query, per_page=2)
    assert ([r.id for r in page.rows], page.total, page.page, page.pages) == (["Q3", "Q4"], 5, 2, 3)
    last = queue_page(store, QueueQuery.from_params({"state": "all", "page": "99"}), per_page=2)
    assert ([r.id for r in last.rows], last.page) == (["Q5"], 3)


def test_counts_per_state_and_the_oldest_held(store: QuarantineStore) -> None:
    """What a supervisor checks first: how many in each state, and the oldest held's age."""
    counts = queue_counts(store)
    assert counts.by_state == {"held": 3, "released": 0, "rejected": 1, "expired": 1}
    assert counts.oldest_age(NOW + timedelta(minutes=1)) == "9 days"


def test_each_row_keeps_people_known_only_from_archives_apart(store: QuarantineStore) -> None:
    """A row says how many of its people were disclosed before and, of them, how many only
    in records reconstructed from archived mail (0 where the quarantine has no split)."""
    rows = queue_page(store, QueueQuery.from_params({"state": "all"})).rows
    assert {r.id: (r.already_disclosed, r.archive_only) for r in rows} == {
        "Q1": (0, 0),
        "Q2": (3, 1),
        "Q3": (0, 0),
        "Q4": (0, 0),
        "Q5": (1, 1),
    }

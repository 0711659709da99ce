"""The ledger itself, on both backends (SQLite and PostgreSQL, the same suite): records
round-trip whole, the chain catches edits and deletions made behind the application's back,
accounting and per-case questions answer exactly, prune keeps the retention and the chain."""

from __future__ import annotations

import random
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from piigate.errors import LedgerError
from piigate.model import Attachment, DisclosureRecord, Grade, Recipient
from piigate.record import Ledger, open_ledger, store
from piigate.record.dialects import connect
from piigate.record.form import attachment_text
from piigate.record.identity import Identities
from tests.synthetic import ssn

KEY = secrets.token_bytes(32)


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20161123)


@pytest.fixture
def ledger(ledger_url: str, tmp_path: Path) -> Iterator[Ledger]:
    opened = open_ledger(ledger_url, KEY, journal=tmp_path / "journal", agencies={})
    yield opened
    opened.close()


def ssn_keys(rng: random.Random, n: int) -> list[str]:
    return [f"ssn:{ssn(rng).replace('-', '')}" for _ in range(n)]


def disclosure(
    identities: Identities,
    keys: list[str],
    *,
    recorded_at: str = "2026-03-01T10:00:00.000+00:00",
    orgs: tuple[str, ...] = ("fbi.gov",),
    case_id: str | None = None,
) -> DisclosureRecord:
    return DisclosureRecord(
        recorded_at=recorded_at,
        sender="alice@dhs.gov",
        recipients=tuple(Recipient(f"agent@{o}", o, None) for o in orgs),
        pii_counts={"US_SSN": len(keys)},
        individuals=len(keys),
        message_id=f"<{secrets.token_hex(6)}@dhs.gov>",
        sha256=secrets.token_hex(32),
        outcome="delivered",
        attachments=(Attachment("list.csv", "text/csv", 1234, Grade.PLAINTEXT, True),),
        case_id=case_id,
        individual_hashes=identities.hash_all(keys),
    )


def append_many(ledger: Ledger, rng: random.Random, records: int, people: int) -> None:
    """``records`` disclosures of ``people`` new individuals each."""
    assert ledger.identities is not None
    for _ in range(records):
        ledger.append(disclosure(ledger.identities, ssn_keys(rng, people)))


def raw_sql(ledger_url: str, sql: str, params: tuple[Any, ...] = ()) -> None:
    """Tamper with the database directly, as someone with access to it might."""
    if ledger_url.startswith("sqlite"):
        with sqlite3.connect(ledger_url.removeprefix("sqlite:///")) as conn:
            conn.execute(sql, params)
        return
    with psycopg.connect(ledger_url, autocommit=True) as conn:
        conn.execute(sql.replace("?", "%s"), params)


def test_record_round_trips_with_every_field(ledger: Ledger, rng: random.Random) -> None:
    """What goes in comes back: recipients in order with agency, nature, authority, release
    details, uninspected parts, individuals' hashes, and the chain fields it was sealed with;
    an attachment whose password was in the message says so on the form and still verifies."""
    assert ledger.identities is not None
    keys = ssn_keys(rng, 3)
    record = DisclosureRecord(
        recorded_at="2026-03-01T10:00:00.000+00:00",
        sender="alice@dhs.gov",
        recipients=(
            Recipient("zed@usdoj.gov", "usdoj.gov", "Department of Justice"),
            Recipient("bob@fbi.gov", "fbi.gov", None),
        ),
        pii_counts={"US_SSN": 4, "DATE_OF_BIRTH": 3},
        individuals=3,
        message_id="<m1@dhs.gov>",
        sha256="ab" * 32,
        outcome="released",
        attachments=(
            Attachment("a.zip", "application/zip", 99, Grade.ENCRYPTED_WEAK, False),
            Attachment("b.zip", "application/zip", 98, Grade.ENCRYPTED_WEAK, True, True),
        ),
        purpose="routine use G",
        sharing_agreement="ISAA-2015-07",
        case_id="I14-OPR-0042",
        released_by="analyst@dhs.gov",
        release_reason="verified agreement",
        uninspected=("attachment a.zip",),
        individual_hashes=ledger.identities.hash_all(keys),
    )
    record_id = ledger.append(record)
    stored = ledger.record(record_id)
    assert stored.id == record_id == 1
    assert stored.prev_hash == "0" * 64 and len(stored.hash) == 64
    expected = {**_fields(record), "id": 1, "prev_hash": stored.prev_hash, "hash": stored.hash}
    assert {**_fields(stored), "individual_hashes": record.individual_hashes} == expected
    assert ledger.verify().intact
    assert attachment_text(stored.attachments[1]).endswith(
        "inspected, its password was in the same message)"
    )


def _fields(record: DisclosureRecord) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in fields(record)}


def test_database_holds_no_identity_key(
    ledger: Ledger, ledger_url: str, rng: random.Random
) -> None:
    """Only keyed hashes are stored: no SSN digits, and the plain SHA-256 of a key is not
    there either (a thief cannot test guesses without the key). The record's packed set of
    hashes dumps as hex (upper case from SQLite), hence the comparison in lower case."""
    import hashlib

    assert ledger.identities is not None
    keys = ssn_keys(rng, 5)
    ledger.append(disclosure(ledger.identities, keys))
    dump = _dump(ledger_url).lower()
    for key in keys:
        assert key.removeprefix("ssn:") not in dump
        assert hashlib.sha256(key.encode()).hexdigest() not in dump
    assert ledger.identities.hash(keys[0]) in dump


def _dump(ledger_url: str) -> str:
    if ledger_url.startswith("sqlite"):
        with sqlite3.connect(ledger_url.removeprefix("sqlite:///")) as conn:
            return "\n".join(conn.iterdump())
    with psycopg.connect(ledger_url) as conn:
        rows = conn.execute(
            "SELECT d::text FROM disclosures d UNION ALL SELECT i::text FROM"
            " disclosure_individuals i UNION ALL SELECT r::text FROM disclosure_recipients r"
        ).fetchall()
    return "\n".join(row[0] for row in rows)


def test_record_edited_behind_the_application_is_caught(
    ledger: Ledger, ledger_url: str, rng: random.Random
) -> None:
    """Changing a stored field of record 4 of 6 makes verify fail at exactly record 4."""
    append_many(ledger, rng, 6, 2)
    assert ledger.verify().intact and ledger.verify().checked == 6
    raw_sql(ledger_url, "UPDATE disclosures SET case_id = ? WHERE id = ?", ("other", 4))
    result = ledger.verify()
    assert (result.intact, result.bad_id, result.reason) == (False, 4, "content altered")


def test_recipient_or_individual_edits_are_caught(
    ledger: Ledger, ledger_url: str, rng: random.Random
) -> None:
    """The chain covers the child rows and the record's own set of individuals: a changed
    recipient address, a changed individual, and a person removed from the look-up index
    (which would hide them from their accounting) are each reported at their record."""
    append_many(ledger, rng, 4, 3)
    assert ledger.catch_up_index() == 1  # twelve people: one step
    assert ledger.verify().intact
    raw_sql(ledger_url, "DELETE FROM disclosure_individuals WHERE disclosure_id = 2")
    assert (ledger.verify().bad_id, ledger.verify().reason) == (
        2,
        "look-up index does not match it",
    )
    raw_sql(
        ledger_url,
        "UPDATE disclosures SET individual_set ="
        " (SELECT individual_set FROM disclosures WHERE id = 2) WHERE id = 1",
    )
    assert (ledger.verify().bad_id, ledger.verify().reason) == (1, "content altered")
    raw_sql(
        ledger_url,
        "UPDATE disclosure_recipients SET address = ? WHERE disclosure_id = 3",
        ("x@y.org",),
    )
    assert ledger.verify().bad_id == 1


def test_deleted_record_is_reported_missing(
    ledger: Ledger, ledger_url: str, rng: random.Random
) -> None:
    """Deleting record 2 of 3 is caught: verify names the missing id."""
    append_many(ledger, rng, 3, 1)
    raw_sql(ledger_url, "DELETE FROM disclosure_individuals WHERE disclosure_id = 2")
    raw_sql(ledger_url, "DELETE FROM disclosure_recipients WHERE disclosure_id = 2")
    raw_sql(ledger_url, "DELETE FROM disclosures WHERE id = 2")
    result = ledger.verify()
    assert (result.bad_id, result.reason) == (2, "missing (deleted)")


def test_accounting_returns_exactly_the_disclosures_that_included_the_person(
    ledger: Ledger, rng: random.Random
) -> None:
    """An individual in 3 of 10 disclosures: the accounting lists exactly those 3."""
    assert ledger.identities is not None
    person = ssn_keys(rng, 1)[0]
    with_person = {2, 5, 9}
    for n in range(1, 11):
        keys = ssn_keys(rng, 4) + ([person] if n in with_person else [])
        assert ledger.append(disclosure(ledger.identities, keys)) == n
    assert [r.id for r in ledger.accounting(person)] == sorted(with_person)
    assert ledger.accounting(ssn_keys(rng, 1)[0]) == []


def test_organizations_for_gives_each_person_their_recipients(
    ledger: Ledger, rng: random.Random
) -> None:
    """Cumulative exposure: per identity key, every organisation that already received it;
    people never disclosed are absent."""
    assert ledger.identities is not None
    a, b, c = ssn_keys(rng, 3)
    ledger.append(disclosure(ledger.identities, [a, b], orgs=("fbi.gov",)))
    ledger.append(disclosure(ledger.identities, [a], orgs=("usdoj.gov", "state.gov")))
    assert ledger.organizations_for(frozenset({a, b, c})) == {
        a: frozenset({"fbi.gov", "usdoj.gov", "state.gov"}),
        b: frozenset({"fbi.gov"}),
    }


def test_recipients_of_a_case(ledger: Ledger, rng: random.Random) -> None:
    """Per address of a case: first and last date, messages, distinct individuals; other
    cases are not mixed in."""
    assert ledger.identities is not None
    a, b, c = ssn_keys(rng, 3)
    ledger.append(
        disclosure(
            ledger.identities, [a, b], case_id="C1", recorded_at="2026-01-01T00:00:00.000+00:00"
        )
    )
    ledger.append(
        disclosure(
            ledger.identities, [b, c], case_id="C1", recorded_at="2026-02-01T00:00:00.000+00:00"
        )
    )
    ledger.append(disclosure(ledger.identities, [a], case_id="C1", orgs=("usdoj.gov",)))
    ledger.append(disclosure(ledger.identities, [a], case_id="C2"))
    rows = ledger.recipients("C1")
    assert [(r.organization, r.messages, r.individuals) for r in rows] == [
        ("fbi.gov", 2, 3),
        ("usdoj.gov", 1, 1),
    ]
    assert (rows[0].first, rows[0].last) == (
        "2026-01-01T00:00:00.000+00:00",
        "2026-02-01T00:00:00.000+00:00",
    )


def test_list_filters(ledger: Ledger, rng: random.Random) -> None:
    """--since, --case and --recipient-org select exactly the matching records."""
    assert ledger.identities is not None
    ledger.append(
        disclosure(
            ledger.identities,
            ssn_keys(rng, 1),
            recorded_at="2025-05-01T00:00:00.000+00:00",
            case_id="C1",
        )
    )
    ledger.append(
        disclosure(ledger.identities, ssn_keys(rng, 1), orgs=("usdoj.gov",), case_id="C2")
    )
    ledger.append(disclosure(ledger.identities, ssn_keys(rng, 1), case_id="C1"))
    assert [r.id for r in ledger.records(since=date(2026, 1, 1))] == [2, 3]
    assert [r.id for r in ledger.records(case_id="C1")] == [1, 3]
    assert [r.id for r in ledger.records(recipient_org="USDOJ.gov")] == [2]


def test_prune_keeps_the_retention_and_the_chain(ledger: Ledger, rng: random.Random) -> None:
    """Prune refuses a date inside the 5-year retention; an allowed prune deletes only the
    old prefix, verify still holds, and new records continue the chain."""
    assert ledger.identities is not None
    person = ssn_keys(rng, 1)[0]
    for year in (2015, 2016, 2025):
        ledger.append(
            disclosure(ledger.identities, [person], recorded_at=f"{year}-06-01T00:00:00.000+00:00")
        )
    with pytest.raises(LedgerError, match="kept 5 years"):
        ledger.prune(date(2022, 1, 1), retention_years=5, today=date(2026, 11, 25))
    assert ledger.prune(date(2017, 1, 1), retention_years=5, today=date(2026, 11, 25)) == 2
    assert [r.id for r in ledger.records()] == [3]
    assert ledger.verify().intact
    ledger.append(disclosure(ledger.identities, [person]))
    assert ledger.verify().checked == 2
    assert [r.id for r in ledger.accounting(person)] == [3, 4]


def test_accounting_needs_the_key(ledger_url: str, tmp_path: Path) -> None:
    """A ledger opened without its key can list records but refuses to look people up."""
    keyless = open_ledger(ledger_url, journal=tmp_path / "j")
    try:
        assert keyless.records() == []
        with pytest.raises(LedgerError, match="ledger key"):
            keyless.accounting("ssn:123456789")
    finally:
        keyless.close()


def test_unreachable_database_is_a_one_line_ledger_error(tmp_path: Path) -> None:
    """A PostgreSQL URL nobody answers, or an unknown scheme, is a LedgerError naming the URL
    without its password."""
    with pytest.raises(LedgerError) as caught:
        open_ledger("postgresql://u:s3cret@127.0.0.1:1/x", journal=tmp_path / "j")
    assert "s3cret" not in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(LedgerError, match="unsupported scheme"):
        open_ledger("mysql://x/y", journal=tmp_path / "j")


def test_concurrent_writers_share_one_chain(
    ledger_url: str, tmp_path: Path, rng: random.Random
) -> None:
    """Two ledger connections (as two gate processes have), each written by two threads at
    once and each indexing in the background: every record lands exactly once, the chain is
    one unbroken line, and every individual is in the look-up index exactly once."""
    ledgers = [open_ledger(ledger_url, KEY, journal=tmp_path / f"j{n}") for n in (1, 2)]
    for opened in ledgers:
        opened.start_indexing()
    identities = Identities(KEY)
    batches = [[disclosure(identities, ssn_keys(rng, 2)) for _ in range(40)] for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            ids = pool.map(
                lambda n: [ledgers[n % 2].append(r) for r in batches[n]], range(len(batches))
            )
            written = sorted(i for chunk in ids for i in chunk)
        stored = ledgers[0].records()
        ledgers[1].catch_up_index()
        verification = ledgers[1].verify()
        index_rows = raw_rows(
            ledger_url, "SELECT disclosure_id, individual FROM disclosure_individuals"
        )
    finally:
        for opened in ledgers:
            opened.close()
    assert written == list(range(1, 161))
    assert sorted(r.message_id for r in stored) == sorted(
        r.message_id for batch in batches for r in batch
    )
    assert verification.intact and verification.checked == 160
    assert len(index_rows) == len(set(index_rows)) == 160 * 2


def test_a_running_gate_indexes_new_records_in_the_background(
    ledger: Ledger, ledger_url: str, rng: random.Random
) -> None:
    """With indexing started (as the gate does), appended records reach the individuals'
    look-up index without any query asking for it; closing stops the thread."""
    before = set(threading.enumerate())
    ledger.start_indexing()
    (indexer,) = [t for t in threading.enumerate() if t not in before]
    assert indexer.name == "ledger-indexer"
    append_many(ledger, rng, 3, 5)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rows = raw_rows(ledger_url, "SELECT disclosure_id FROM disclosure_individuals")
        if len(rows) == 15:
            break
        time.sleep(0.05)
    assert sorted(row[0] for row in rows) == [1] * 5 + [2] * 5 + [3] * 5
    assert raw_rows(ledger_url, "SELECT indexed_through FROM ledger_index_state") == [(3,)]
    ledger.close()
    assert not indexer.is_alive()


def test_records_written_before_the_packed_set_still_verify_and_answer(
    ledger: Ledger, ledger_url: str, rng: random.Random
) -> None:
    """Records from schema step 2 had their individuals only in the look-up index (no
    packed set): the chain over them still verifies and the accounting still finds them."""
    assert ledger.identities is not None
    person = ssn_keys(rng, 1)[0]
    ledger.append(disclosure(ledger.identities, [person, *ssn_keys(rng, 2)]))
    ledger.catch_up_index()
    raw_sql(ledger_url, "UPDATE disclosures SET individual_set = NULL")
    ledger.append(disclosure(ledger.identities, [person]))
    assert ledger.verify().intact and ledger.verify().checked == 2
    assert [r.id for r in ledger.accounting(person)] == [1, 2]


def raw_rows(ledger_url: str, sql: str) -> list[tuple[Any, ...]]:
    if ledger_url.startswith("sqlite"):
        with sqlite3.connect(ledger_url.removeprefix("sqlite:///")) as conn:
            return [tuple(row) for row in conn.execute(sql)]
    with psycopg.connect(ledger_url) as conn:
        return [tuple(row) for row in conn.execute(sql)]


def test_a_large_record_is_indexed_in_steps_and_found_whole(
    ledger: Ledger, ledger_url: str, rng: random.Random
) -> None:
    """A 2,500-person record goes into the look-up index 1,000 people per transaction (an
    append waits behind one step, not the whole list); a person in the last part is found
    by the accounting, and once done every person is in the index exactly once."""
    assert ledger.identities is not None
    people = ssn_keys(rng, 2500)
    ledger.append(disclosure(ledger.identities, people))
    db = connect(ledger_url)
    try:
        assert store.index_step(db, until=1)
        assert len(raw_rows(ledger_url, "SELECT individual FROM disclosure_individuals")) == 1000
        assert raw_rows(
            ledger_url, "SELECT indexed_through, indexed_part FROM ledger_index_state"
        ) == [(0, 1000)]
    finally:
        db.close()
    last = max(people, key=ledger.identities.hash)  # the hashes are stored sorted
    assert [r.id for r in ledger.accounting(last)] == [1]
    rows = raw_rows(ledger_url, "SELECT individual FROM disclosure_individuals")
    assert len(rows) == len(set(rows)) == 2500
    assert ledger.verify().intact


def test_small_records_share_an_index_step_and_later_ones_wait(
    ledger: Ledger, ledger_url: str, rng: random.Random
) -> None:
    """Thirty one-person records are indexed in one transaction; a step bounded by an id
    (what a catch-up saw committed when it began) leaves the records after it for later."""
    append_many(ledger, rng, 30, 1)
    db = connect(ledger_url)
    try:
        assert store.index_step(db, until=20)
        assert not store.index_step(db, until=20)
    finally:
        db.close()
    assert raw_rows(ledger_url, "SELECT indexed_through, indexed_part FROM ledger_index_state") == [
        (20, 0)
    ]
    assert ledger.catch_up_index() == 1
    assert len(raw_rows(ledger_url, "SELECT individual FROM disclosure_individuals")) == 30


def test_prune_of_a_record_the_index_was_part_way_through(
    ledger: Ledger, ledger_url: str, rng: random.Random
) -> None:
    """Pruning an old 2,500-person record the index had done 1,000 of leaves the index to
    start on the first record kept: the kept record's people are indexed whole, no one is
    skipped, and the chain verifies."""
    assert ledger.identities is not None
    old = disclosure(
        ledger.identities, ssn_keys(rng, 2500), recorded_at="2015-06-01T00:00:00.000+00:00"
    )
    ledger.append(old)
    kept = ssn_keys(rng, 3)
    ledger.append(disclosure(ledger.identities, kept))
    db = connect(ledger_url)
    try:
        assert store.index_step(db, until=2)
    finally:
        db.close()
    assert ledger.prune(date(2017, 1, 1), retention_years=5, today=date(2026, 11, 25)) == 1
    assert ledger.catch_up_index() == 1
    rows = raw_rows(ledger_url, "SELECT disclosure_id, individual FROM disclosure_individuals")
    assert sorted(rows) == [
        (2, ledger.identities.hash(k)) for k in sorted(kept, key=ledger.identities.hash)
    ]
    assert ledger.verify().intact
    assert [r.id for r in ledger.accounting(kept[0])] == [2]


def test_cumulative_exposure_reads_unindexed_records_without_indexing_them(
    ledger: Ledger, ledger_url: str, rng: random.Random
) -> None:
    """The gate's per-message question (which organisations already have these people)
    answers from the index and from records not yet in it alike, and does not stop to index
    them (a backlog of big lists must not hold up the next message)."""
    assert ledger.identities is not None
    a, b = ssn_keys(rng, 2)
    ledger.append(disclosure(ledger.identities, [a], orgs=("fbi.gov",)))
    ledger.catch_up_index()
    ledger.append(disclosure(ledger.identities, [a, b], orgs=("state.gov",)))
    assert ledger.organizations_for(frozenset({a, b})) == {
        a: frozenset({"fbi.gov", "state.gov"}),
        b: frozenset({"state.gov"}),
    }
    assert raw_rows(ledger_url, "SELECT indexed_through FROM ledger_index_state") == [(1,)]

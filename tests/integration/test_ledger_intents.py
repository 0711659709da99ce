"""Intents (see ``record.intents``) on both backends: an intent whose writer is alive, or
another host's recent one, is left alone (it may still be relaying); one whose writer is
gone, or that is older than any relay, becomes exactly one record marked unconfirmed."""

from __future__ import annotations

import secrets
import socket
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from piigate.model import DisclosureRecord, Recipient
from piigate.record import open_ledger
from piigate.record.intents import STALE, recover

KEY = secrets.token_bytes(32)


def record(n: int) -> DisclosureRecord:
    return DisclosureRecord(
        recorded_at=f"2026-12-01T09:00:0{n}.000+00:00",
        sender="alice@dhs.gov",
        recipients=(Recipient("agent@fbi.gov", "fbi.gov"),),
        pii_counts={"US_SSN": 1},
        individuals=1,
        message_id=f"<m{n}@dhs.gov>",
        sha256=f"{n}" * 64,
        outcome="delivered",
    )


def test_only_intents_of_gone_writers_are_recovered(ledger_url: str, tmp_path: Path) -> None:
    """This process's intent and another host's recent one stay; a dead local process's and
    a stale one become unconfirmed records; recovering again adds nothing."""
    ledger = open_ledger(ledger_url, KEY, journal=tmp_path / "journal")
    writers = {
        2: ("elsewhere.test:1", datetime.now(UTC)),  # another host, relaying now
        3: ("elsewhere.test:2", datetime(2020, 1, 1, tzinfo=UTC)),  # long gone
        4: (f"{socket.gethostname()}:999999999", datetime.now(UTC)),  # a dead local process
    }
    try:
        mine = ledger.intend(record(1))
        db = ledger._db
        for n, (writer, at) in writers.items():
            intent = ledger.intend(record(n))
            db.execute(
                "UPDATE ledger_intents SET owner = ?, created_at = ? WHERE id = ?",
                (writer, at.isoformat(), intent),
            )
        assert ledger.recover_intents() == 2
        assert sorted(r.message_id for r in ledger.records()) == ["<m3@dhs.gov>", "<m4@dhs.gov>"]
        assert all(r.unconfirmed for r in ledger.records())
        assert ledger.recover_intents() == 0
        ledger.append(record(1), mine)  # the live writer's delivery completes
        assert recover(db, datetime.now(UTC) + STALE * 2) == 1  # the other host's, once stale
        assert len(ledger.records()) == 4 and ledger.verify().intact
    finally:
        ledger.close()


def test_a_retried_delivery_and_its_unconfirmed_record_are_one_disclosure(
    ledger_url: str, tmp_path: Path
) -> None:
    """A gate killed while relaying leaves an unconfirmed record; the client's retry is
    recorded as delivered: the ledger keeps both, while the person's accounting, the case's
    recipients and the incident count the disclosure once. An unconfirmed record of another
    message (or to other addresses) still counts, since it may have been delivered."""
    ledger = open_ledger(ledger_url, KEY, journal=tmp_path / "journal")
    person = "ssn:900-00-0001"  # a synthetic SSN's identity key
    first, other = record(1), record(2)
    first = replace(first, case_id="C-1")
    elsewhere = replace(first, recipients=(Recipient("clerk@usss.gov", "usss.gov"),))
    other = replace(other, case_id="C-1")
    try:
        hashes = ledger.identities.hash_all([person])
        first, elsewhere, other = (
            replace(r, individual_hashes=hashes) for r in (first, elsewhere, other)
        )
        for unconfirmed, delivered in ((first, True), (elsewhere, False), (other, False)):
            ledger.append(replace(unconfirmed, unconfirmed=True))
            if delivered:  # the retry after the restart, answered 250 by the upstream
                ledger.append(first)
        assert len(ledger.records()) == 4  # append-only: every record stays
        answered = ledger.accounting(person)
        assert [(r.message_id, r.unconfirmed) for r in answered] == [
            ("<m1@dhs.gov>", False),  # the retry's delivery; its unconfirmed twin is left out
            ("<m1@dhs.gov>", True),  # to usss.gov: no delivered twin, kept
            ("<m2@dhs.gov>", True),
        ]
        assert answered[1].recipients[0].organization == "usss.gov"
        by_address = {r.address: r.messages for r in ledger.recipients("C-1")}
        assert by_address == {"agent@fbi.gov": 2, "clerk@usss.gov": 1}
        seen = ledger.incident(case_id="C-1")
        assert (seen.messages, seen.unconfirmed) == (3, 2)
    finally:
        ledger.close()

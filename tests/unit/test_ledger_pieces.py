"""The ledger's pure pieces: identity keys and their keyed hashes, the retention date, and
the chain's verdict on records out of place."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest

from piigate.detect.individuals import resolve_with_lookup_keys
from piigate.errors import LedgerError
from piigate.model import DisclosureRecord
from piigate.record.accounting import retention_cutoff
from piigate.record.chain import GENESIS, ChainCheck, record_hash, seal
from piigate.record.identity import (
    Identities,
    a_number_key,
    license_key,
    name_dob_key,
    normalise_name,
    passport_key,
    ssn_key,
)


@pytest.mark.parametrize(
    ("text", "key"),
    [("512-34-7781", "ssn:512347781"), (" 512347781\n", "ssn:512347781")],
)
def test_ssn_key_accepts_dashed_and_bare(text: str, key: str) -> None:
    """Dashed and bare nine digits (stdin's newline trimmed) give the same identity key."""
    assert ssn_key(text) == key


def test_bad_ssn_is_refused_without_echoing_it() -> None:
    """A malformed SSN is a one-line error that does not repeat what was typed."""
    with pytest.raises(LedgerError) as caught:
        ssn_key("512-34-778")
    assert "512" not in str(caught.value)


def test_names_normalise_to_one_key() -> None:
    """Case, accents, punctuation and spacing do not split one person into two."""
    assert normalise_name("  José   O'NEIL, Jr. ") == normalise_name("jose o'neil jr")
    assert name_dob_key("Anne Roe", "1970-02-03") == "name-dob:anne roe|1970-02-03"
    with pytest.raises(LedgerError, match="YYYY-MM-DD"):
        name_dob_key("Anne Roe", "03/02/1970")


def test_hashes_depend_on_the_key() -> None:
    """The same identity key hashes differently under two ledger keys; hash_all is sorted
    and distinct; short keys are refused."""
    one, two = Identities(secrets.token_bytes(32)), Identities(secrets.token_bytes(32))
    assert one.hash("ssn:512347781") != two.hash("ssn:512347781")
    hashes = one.hash_all(["ssn:1", "ssn:2", "ssn:1"])
    assert len(hashes) == 2 and list(hashes) == sorted(hashes)
    with pytest.raises(LedgerError):
        Identities(b"short")


def test_hash_is_hmac_sha256_of_the_identity_key() -> None:
    """What the ledger stores is exactly HMAC-SHA-256(ledger key, identity key) in hex, the
    same for every call (the keyed state is reused, never changed)."""
    key = secrets.token_bytes(32)
    identities = Identities(key)
    for identity_key in ("ssn:512347781", "name-dob:doe jane|1970-01-02", "ssn:512347781"):
        expected = hmac.new(key, identity_key.encode(), hashlib.sha256).hexdigest()
        assert identities.hash(identity_key) == expected


def test_retention_cutoff_handles_leap_days() -> None:
    """Five years before 29 Feb 2028 is 28 Feb 2023."""
    assert retention_cutoff(date(2026, 11, 25), 5) == date(2021, 11, 25)
    assert retention_cutoff(date(2028, 2, 29), 5) == date(2023, 2, 28)


def _record(n: int) -> DisclosureRecord:
    return DisclosureRecord(
        recorded_at=f"2026-01-0{n}T00:00:00.000+00:00",
        sender="alice@dhs.gov",
        recipients=(),
        pii_counts={"US_SSN": 1},
        individuals=1,
        message_id=f"<{n}@dhs.gov>",
        sha256="0" * 64,
        outcome="delivered",
        individual_hashes=("ab" * 32,),
    )


def test_chain_catches_a_record_edited_and_rehashed() -> None:
    """An intact chain passes; a record edited and given a fresh hash of its own breaks the
    chain at the record after it; an id out of sequence is reported as missing."""
    first = seal(_record(1), 1, GENESIS)
    second = seal(_record(2), 2, first.hash)
    third = seal(_record(3), 3, second.hash)
    check = ChainCheck(0, GENESIS)
    assert [check.check(r) for r in (first, second, third)] == [None, None, None]
    forged = replace(second, sender="mallory@dhs.gov")
    forged = replace(forged, hash=record_hash(forged))
    check = ChainCheck(0, GENESIS)
    assert check.check(first) is None and check.check(forged) is None
    failure = check.check(third)
    assert failure is not None and (failure.bad_id, failure.reason) == (
        3,
        "does not follow the record before it",
    )
    skipped = ChainCheck(0, GENESIS)
    assert skipped.check(first) is None
    gap = skipped.check(third)
    assert gap is not None and (gap.bad_id, gap.reason) == (2, "missing (deleted)")


@pytest.mark.parametrize(
    ("make", "text", "key"),
    [
        (a_number_key, "A-187-654-321", "a-number:187654321"),
        (a_number_key, "a12345678", "a-number:012345678"),  # eight digits: a leading zero
        (passport_key, "531415926", "passport:531415926"),
        (passport_key, "x 1234 5678", "passport:X12345678"),
        (license_key, "d123-4567-89", "dl:D123456789"),
    ],
)
def test_document_keys_match_the_detector(make: Callable[[str], str], text: str, key: str) -> None:
    """An officer's spelling of an A-number, passport or licence gives the detector's key."""
    assert make(text) == key


@pytest.mark.parametrize("make", [a_number_key, passport_key, license_key])
def test_bad_document_numbers_are_refused_without_echoing_them(
    make: Callable[[str], str],
) -> None:
    """A malformed number is a one-line error that does not repeat what was typed."""
    with pytest.raises(LedgerError) as info:
        make("Q-77")
    assert "Q-77" not in str(info.value)


def test_every_lookup_key_of_a_person_is_kept_beside_the_strongest() -> None:
    """A record with an SSN, a name+DOB and an A-number is one individual named by the SSN;
    all three are lookup keys, and a bare name (weaker than a document) is not."""
    people, lookup = resolve_with_lookup_keys(
        [
            frozenset({"ssn:512347781", "name-dob:jane roe|1980-04-12", "a-number:187654321"}),
            frozenset({"name-dob:jane roe|1980-04-12", "name:jane roe"}),
        ]
    )
    assert people == frozenset({"ssn:512347781"})
    assert lookup == frozenset(
        {"ssn:512347781", "name-dob:jane roe|1980-04-12", "a-number:187654321"}
    )


def test_new_fields_at_their_defaults_leave_the_hash_as_before() -> None:
    """A record whose added facts are all at their defaults hashes as it did before they were
    added (so old ledgers verify); setting one changes the hash (so it is sealed)."""
    record = DisclosureRecord(
        "2026-01-01T00:00:00.000+00:00", "a@dhs.gov", (), {}, 0, "<m>", "0", "delivered"
    )
    assert record_hash(replace(record, expedited=True)) != record_hash(record)
    assert record_hash(replace(record, audit_rules=())) == record_hash(record)

"""The ledger's pure pieces: identity keys and their keyed hashes, the retention date, and
the chain's verdict on records out of place."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import replace
from datetime import date

import pytest

from piigate.errors import LedgerError
from piigate.model import DisclosureRecord
from piigate.record.accounting import retention_cutoff
from piigate.record.chain import GENESIS, ChainCheck, record_hash, seal
from piigate.record.identity import Identities, name_dob_key, normalise_name, ssn_key


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

"""Findings kept compactly: a table of many individuals gives the same counts, places,
individuals, lookup keys and policy summary as keeping every finding and every key as a
string; only the findings listed are bounded."""

from __future__ import annotations

import random

import pytest

from piigate.config import DetectionSettings
from piigate.decide.summary import describe_findings
from piigate.detect import Detector, findings, individuals
from piigate.model import Detection, Finding, Segment, Table
from tests.detection.generate import Values

ROWS = 1_500


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionSettings(spacy_model=None))


def people(count: int, *, header: bool) -> list[tuple[str, ...]]:
    """Typed columns (with a header) or text only (without: the zip of lists of the bench);
    a few SSNs repeated, so some rows are the same person."""
    v = Values(random.Random(5))
    rows: list[tuple[str, ...]] = [("Name", "SSN", "DOB", "Notes")] if header else []
    ssns = [v.ssn_text(v.ssn()) for _ in range(count)]
    for i in range(count):
        ssn = ssns[i // 2] if i % 7 == 0 else ssns[i]
        notes = f"old SSN {v.ssn_text(v.ssn())}" if i % 3 == 0 else f"born {v.dob()[0]}"
        rows.append((v.name()[0], ssn, v.dob()[0], notes))
    return rows


def listing(count: int) -> list[tuple[str, ...]]:
    """Rows like the bench's zip of lists: no header, no name a lexicon knows, one SSN each."""
    v = Values(random.Random(6))
    return [(f"Person {i}", v.ssn_text(v.ssn()), f"{i} Main St", str(i * 7)) for i in range(count)]


def full(
    detector: Detector, segments: tuple[Segment, ...], monkeypatch: pytest.MonkeyPatch
) -> Detection:
    """Every finding kept and every key resolved as a string (as before compact findings)."""
    with monkeypatch.context() as patch:
        patch.setattr(findings, "KEEP_PER_PLACE", 10**9)
        patch.setattr(individuals, "_ssn_number", lambda key: None)
        return detector.detect(segments)


def first_of_each_place(found: tuple[Finding, ...], keep: int) -> list[Finding]:
    seen: dict[tuple[object, ...], int] = {}
    kept = []
    for f in found:
        place = (f.where, f.column, f.grade, f.entity_type)
        seen[place] = seen.get(place, 0) + 1
        if seen[place] <= keep:
            kept.append(f)
    return kept


@pytest.mark.parametrize(
    ("rows", "lone_ssns"),
    [
        (people(ROWS, header=True), False),
        (people(ROWS, header=False), False),
        (listing(ROWS), True),
    ],
    ids=["typed columns", "names by sample", "one SSN a row"],
)
def test_compact_detection_counts_exactly_what_full_detection_finds(
    detector: Detector,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[tuple[str, ...]],
    lone_ssns: bool,
) -> None:
    """The kept findings are the first of each place, the rest counted exactly; individuals,
    lookup keys, counts by type and the policy's summary equal keeping everything."""
    table = Table(rows=tuple(rows), name="")
    segments = (Segment("attachment people.csv", "", tables=(table,)),)
    compact = detector.detect(segments)
    whole = full(detector, segments, monkeypatch)

    assert whole.finding_count >= ROWS and not whole.omitted
    assert len(compact.findings) < len(whole.findings) / 3
    assert list(compact.findings) == first_of_each_place(whole.findings, findings.KEEP_PER_PLACE)
    assert compact.finding_count == whole.finding_count
    assert compact.counts_by_type() == whole.counts_by_type()
    assert compact.individual_count == whole.individual_count >= ROWS * 0.9
    assert set(compact.individuals) == set(whole.individuals)
    assert set(compact.lookup_keys) == set(whole.lookup_keys)
    assert compact.lookup_keys - compact.individuals == whole.lookup_keys - whole.individuals
    assert describe_findings(compact.findings, compact.omitted) == describe_findings(whole.findings)
    # A row with only an SSN is a lone key, held as a number; with a name, a group.
    assert isinstance(compact.individuals, individuals.IdentityKeys) is lone_ssns


def test_identity_keys_resolve_as_strings_do() -> None:
    """Lone SSNs held as numbers give the same individuals as the union-find of strings: a
    repeated SSN is one person, an SSN also in a record with a name and DOB is that person."""
    records = [
        frozenset({"ssn:123456789"}),
        frozenset({"ssn:123456789"}),
        frozenset({"ssn:000000042"}),
        frozenset({"ssn:987654321"}),
        frozenset({"ssn:987654321", "name-dob:ann lee|1970-01-02"}),
        frozenset({"name-dob:bo chan|1980-03-04"}),
        frozenset({"name:bo chan"}),
        frozenset({"passport:X12345678"}),
    ]
    people, lookup = individuals.resolve_with_lookup_keys(records)
    assert isinstance(people, individuals.IdentityKeys)
    assert set(people) == {
        "ssn:123456789",
        "ssn:000000042",
        "ssn:987654321",
        "name-dob:bo chan|1980-03-04",
        "passport:X12345678",
    }
    assert len(people) == 5
    assert people == frozenset(people)
    assert "ssn:000000042" in people and "ssn:000000043" not in people
    assert "ssn:12345678" not in people and 42 not in people
    assert lookup - people == {"name-dob:ann lee|1970-01-02"}
    assert "123456789" not in repr(people)

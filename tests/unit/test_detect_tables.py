"""Tables by column, records and individuals: the seed story's 4,825-row list, header
variants, headerless lists, pasted spreadsheets, and one person across body and attachment."""

from __future__ import annotations

import random

import pytest

from piigate.config import DetectionSettings
from piigate.detect import Detector, tables
from piigate.detect.names import normalize_name
from piigate.model import Segment, Table
from tests.detection.generate import COMMON_FIRST, COMMON_LAST, Values


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionSettings(spacy_model=None))


def customer_list(rows: int, seed: int = 1) -> tuple[Table, set[str]]:
    v = Values(random.Random(seed))
    body, ssns = [], set()
    for _ in range(rows):
        name, _key = v.name()
        ssn = v.ssn()
        ssns.add(ssn)
        body.append((name, v.ssn_text(ssn), v.dob()[0]))
    return Table("", (("Name", "SSN", "DOB"), *body)), ssns


def test_the_4825_row_list_is_4825_individuals(detector: Detector) -> None:
    """Every row is one person keyed by SSN; SSN and DOB columns are identified."""
    table, ssns = customer_list(4825)
    detection = detector.detect([Segment("attachment clients.csv", "", tables=(table,))])
    assert detection.individual_count == 4825
    assert detection.individuals == frozenset(f"ssn:{s}" for s in ssns)
    columns = {(f.entity_type, f.column) for f in detection.findings}
    assert columns == {("US_SSN", "SSN"), ("DATE_OF_BIRTH", "DOB")}
    assert detection.counts_by_type() == {"DATE_OF_BIRTH": 4825, "US_SSN": 4825}
    first = detection.findings[0]
    assert (first.where, first.line) == ("attachment clients.csv", 2)


@pytest.mark.parametrize(
    "header",
    [
        ("Full Name", "Social Security Number", "Date of Birth"),
        ("employee", "ssn#", "date_of_birth"),
        ("NAME", "SOC SEC NO", "BIRTHDATE"),
    ],
)
def test_header_variants(detector: Detector, header: tuple[str, ...]) -> None:
    """Bare nine digits in a column headed SSN are SSNs; DOBs pair with the row's name."""
    rows = (
        header,
        ("Mary Jones", "536228167", "04/05/1980"),
        ("John Smith", "412550199", "1975-03-02"),
    )
    detection = detector.detect([Segment("attachment a.csv", "", tables=(Table("", rows),))])
    assert detection.counts_by_type() == {"DATE_OF_BIRTH": 2, "US_SSN": 2}
    assert detection.individual_count == 2


def test_split_name_columns_and_no_ssn(detector: Detector) -> None:
    """First and last name columns make one name; without an SSN the key is name+DOB."""
    rows = (("First", "Last", "Birth Date", "City"), ("Mary", "Jones", "04/05/1980", "Reston"))
    detection = detector.detect([Segment("attachment a.csv", "", tables=(Table("", rows),))])
    assert detection.individuals == frozenset({"name-dob:mary jones|1980-04-05"})


def test_dates_in_a_column_not_headed_dob_are_not_dobs(detector: Detector) -> None:
    rows = (("Name", "Hire Date"), ("Mary Jones", "04/05/2010"), ("John Smith", "03/02/2015"))
    assert detector.detect([Segment("a", "", tables=(Table("", rows),))]).findings == ()


def test_bare_digits_without_an_ssn_header_are_not_ssns(detector: Detector) -> None:
    rows = (("Name", "Order"), ("Mary Jones", "536228167"), ("John Smith", "412550199"))
    assert detector.detect([Segment("a", "", tables=(Table("", rows),))]).findings == ()


def test_headerless_list_of_names_and_ssns(detector: Detector) -> None:
    rows = (("Mary Jones", "536-22-8167"), ("John Smith", "412-55-0199"))
    detection = detector.detect([Segment("a", "", tables=(Table("", rows),))])
    assert [(f.line, f.column) for f in detection.findings] == [(1, "B"), (2, "B")]


def test_an_ssn_in_a_notes_column(detector: Detector) -> None:
    rows = (("Name", "Notes"), ("Mary Jones", "new SSN 536228167 on file"))
    detection = detector.detect([Segment("a", "", tables=(Table("", rows),))])
    assert [(f.entity_type, f.line, f.column) for f in detection.findings] == [
        ("US_SSN", 2, "Notes")
    ]


def test_a_pasted_spreadsheet_in_a_body_is_a_table(detector: Detector) -> None:
    """Tab-separated lines are analysed by column; findings carry the body line."""
    text = "Hi,\nhere is the list:\nName\tSSN\tDOB\nMary Jones\t536228167\t04/05/1980\nThanks"
    detection = detector.detect([Segment("body", text)])
    assert [(f.entity_type, f.line, f.column) for f in detection.findings] == [
        ("US_SSN", 4, "SSN"),
        ("DATE_OF_BIRTH", 4, "DOB"),
    ]
    assert detection.individual_count == 1


def test_same_person_in_body_and_attachment_is_one_individual(detector: Detector) -> None:
    body = Segment("body", "Re: Mary Jones, DOB 04/05/1980 — her SSN is 536-22-8167.")
    rows = (("Name", "DOB"), ("JONES, MARY", "1980-04-05"))
    attachment = Segment("attachment a.csv", "", tables=(Table("", rows),))
    detection = detector.detect([body, attachment])
    assert detection.individuals == frozenset({"ssn:536228167"})


def test_two_people_on_one_line_are_two(detector: Detector) -> None:
    text = "John Smith DOB 03/02/1975 and Mary Jones DOB 04/05/1980"
    detection = detector.detect([Segment("body", text)])
    assert detection.individuals == frozenset(
        {"name-dob:john smith|1975-03-02", "name-dob:mary jones|1980-04-05"}
    )


def test_a_prose_list_of_thousands(detector: Detector) -> None:
    """A signature-free list of 2,000 "Name, DOB date" lines, names the lexicon knows,
    without NER: every line is one individual."""
    v = Values(random.Random(3))
    lines, expected = [], set()
    for _ in range(2000):
        first, last = v.rng.choice(COMMON_FIRST), v.rng.choice(COMMON_LAST)
        name, key = f"{first} {last}", normalize_name(f"{first} {last}")
        shown, iso = v.dob()
        lines.append(f"{name}, DOB {shown}")
        expected.add(f"name-dob:{key}|{iso}")
    detection = detector.detect([Segment("body", "\n".join(lines))])
    assert detection.individuals == frozenset(expected)


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("John Q. Smith", "john smith"),
        ("SMITH, JOHN", "john smith"),
        ("Mr. John Smith Jr.", "john smith"),
        ("José O'Brien-Núñez", "jose obrien-nunez"),
    ],
)
def test_name_normalisation(written: str, key: str) -> None:
    assert normalize_name(written) == key


def _notes_table(seed: int) -> Table:
    """A table whose untyped columns carry SSNs, DOBs beside names, and context words in the
    row above the value they qualify (so a chunk boundary there would lose them)."""
    v = Values(random.Random(seed))
    rows: list[tuple[str, ...]] = [("Item", "Notes", "Comment")]
    for i in range(1500):
        name, _ = v.name()
        notes = (
            f"{name} SSN {v.ssn_text(v.ssn())}"
            if i % 4 == 0
            else f"{name} born {v.dob()[0]}"
            if i % 4 == 1
            else "social security number:"
            if i % 4 == 2
            else v.ssn_text(v.ssn())
        )
        rows.append((f"part-{i}", notes, "a\nb | c" if i % 9 == 0 else ""))
    return Table("", tuple(rows))


def test_untyped_cells_read_in_chunks_give_the_same_findings(
    detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Untyped cells go through the text recognizers a bounded chunk of rows at a time (so a
    huge table never holds the interpreter in one call); with the rows either side given for
    context, the findings are exactly those of reading the whole table as one text."""
    segment = Segment("attachment notes.csv", "", tables=(_notes_table(11),))
    whole = detector.detect([segment])
    monkeypatch.setattr(tables, "TEXT_CHUNK_CHARS", 700)
    chunked = detector.detect([segment])
    assert whole.findings
    assert chunked.findings == whole.findings
    assert chunked.individuals == whole.individuals

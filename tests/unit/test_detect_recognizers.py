"""Each recognizer, table-driven: what it finds (masked, as the sender would see it) and the
near-misses it must leave alone. Values are synthetic (valid-looking, invented)."""

from __future__ import annotations

import re

import pytest

from piigate.config import DetectionSettings
from piigate.detect import Detector, describe
from piigate.detect.financial import aba_ok, luhn_ok
from piigate.detect.recognizer import FoldedPattern
from piigate.model import Segment


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionSettings(spacy_model=None))


def found(detector: Detector, text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, f.masked) for f in detector.detect([Segment("body", text)]).findings]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Passport No. X31415926 expires 2030", [("US_PASSPORT", "*****5926")]),
        ("her passport number is 531415926.", [("US_PASSPORT", "*****5926")]),
        ("DL# S1234567 (VA)", [("US_DRIVER_LICENSE", "*****567")]),
        ("Driver's license: 123456789", [("US_DRIVER_LICENSE", "******789")]),
        ("A-Number: A-087-654-321", [("US_A_NUMBER", "A*****4321")]),
        ("alien registration number A87654321", [("US_A_NUMBER", "A*****4321")]),
        ("USCIS # A187654321", [("US_A_NUMBER", "A*****4321")]),
        ("File A187654321 (A-number) moved", [("US_A_NUMBER", "A*****4321")]),
        ("card 4539 1488 0343 6467 exp 12/27", [("PAYMENT_CARD", "****-6467")]),
        ("Amex 3782 822463 10006? no: 3714 496353 98431", []),
        ("charge 5425-2334-3010-9903 please", [("PAYMENT_CARD", "****-9903")]),
        ("wire to checking account 12345678901", [("US_BANK_ACCOUNT", "*******8901")]),
        ("routing 021000021 account 987654321", [("US_BANK_ACCOUNT", "*****4321")]),
        ("ABA 021000021 / 4455667788", [("US_BANK_ACCOUNT", "******7788")]),
    ],
)
def test_identifiers_are_found(
    detector: Detector, text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(detector, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("John Smith, DOB 03/02/1975", [("DATE_OF_BIRTH", "J*** S****, DOB **/**/1975")]),
        ("SMITH, JOHN Q. born on March 2, 1975", [("DATE_OF_BIRTH", "J*** S****, DOB **/**/1975")]),
        (
            "Name: Mary Jones\nDate of birth: 1980-04-05",
            [("DATE_OF_BIRTH", "M*** J****, DOB **/**/1980")],
        ),
        ("Mary Jones, SSN ending in 6789", [("SSN_LAST4", "M*** J****, SSN ***-**-6789")]),
        ("Mary Jones - SSN xxx-xx-6789", [("SSN_LAST4", "M*** J****, SSN ***-**-6789")]),
        (
            "Mary Jones: mother's maiden name is Garcia",
            [("MOTHERS_MAIDEN_NAME", "M*** J****, mother's maiden name G*****")],
        ),
        (
            "Mary Jones is a lawful permanent resident.",
            [("CITIZENSHIP_STATUS", "M*** J****, citizenship/immigration status ****")],
        ),
        (
            "Mary Jones was convicted of fraud in 2011.",
            [("CRIMINAL_HISTORY", "M*** J****, criminal history")],
        ),
    ],
)
def test_paired_elements_are_found_with_a_name(
    detector: Detector, text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(detector, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "DOB 03/02/1975",  # a DOB with no name is not sensitive alone
        "SSN ending in 6789",
        "Meeting with John Smith on 03/02/2026 at 10am.",  # a date without DOB context
        "John Smith joined on 03/02/1975.",
        "John Smith, DOB 03/02/2031",  # not a possible DOB
        "call 202-555-0147 or (703) 555-0199",
        "Washington, DC 20528-0001",
        "order 536228167 shipped",
        "Reference 412550199 / invoice INV-412-55-0199",
        "passport photos are due 536228167",  # context word but a different sentence? still near
        "4111 1111 1111 1111 is the test card",
        "Order #4539148803436467 confirmed",
        "tracking 4539148803436468",  # Luhn fails
        "customer account 12345678 was credited",
        "part A12345678 is back-ordered",
        "John Smith ran the criminal history checks.",
        "John Smith said applicants must be U.S. citizens.",
        "card ending in 6789 for John Smith",
        "The maiden voyage of the Mary Jones is on 03/02/2026.",
    ],
)
def test_near_misses(detector: Detector, text: str) -> None:
    if text.startswith("passport photos"):
        # A context word four words before nine digits does make them a passport number:
        # the recognizer is told, not guessing. Pinned so that a change is deliberate.
        assert [t for t, _ in found(detector, text)] == ["US_PASSPORT"]
        return
    assert found(detector, text) == []


def test_checksums() -> None:
    assert luhn_ok("4539148803436467") and not luhn_ok("4539148803436468")
    assert aba_ok("021000021") and not aba_ok("021000022")


def test_every_entity_type_has_a_label() -> None:
    """Replies say "4,825 SSNs", never a bare entity type."""
    from piigate.detect.entities import KINDS

    for entity in KINDS:
        assert entity not in describe(entity, 2)
    assert describe("US_SSN", 4825) == "4,825 SSNs"
    assert describe("DATE_OF_BIRTH", 1) == "1 name with date of birth"


@pytest.mark.parametrize(
    "text",
    [
        "He WAS CONVICTED OF fraud.",
        "İstanbul office: he was Convicted of fraud.",  # lower-casing İ adds a character
    ],
)
def test_folded_patterns_match_any_case_at_the_original_positions(text: str) -> None:
    """A FoldedPattern finds what the IGNORECASE pattern finds, at the same positions, also
    where lower-casing changes the length of the text."""
    folded = FoldedPattern(r"\bconvicted\s+of\b")
    spans = [m.span() for m in folded.finditer(text)]
    assert spans == [m.span() for m in re.finditer(r"\bconvicted\s+of\b", text, re.I)]
    assert len(spans) == 1 and text[slice(*spans[0])].lower() == "convicted of"

"""The SSN recognizer, table-driven: what is found (as masked values) and what is not."""

from __future__ import annotations

import pytest

from piigate.config import DetectionSettings
from piigate.detect import Detector
from piigate.detect.ssn import is_valid_ssn
from piigate.model import Segment


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionSettings(spacy_model=None))


def found(detector: Detector, text: str) -> list[str]:
    return [f.masked for f in detector.detect([Segment("body", text)]).findings]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SSN 536-22-8167", ["***-**-8167"]),
        ("no context: 536-22-8167.", ["***-**-8167"]),  # dashed shape stands alone
        ("spaced 536 22 8167 here", ["***-**-8167"]),
        ("SSN: 536228167", ["***-**-8167"]),  # bare digits with a context word
        ("Social Security Number 536228167", ["***-**-8167"]),
        ("SS# 536228167", ["***-**-8167"]),
        ("soc sec 536228167", ["***-**-8167"]),
        ("(536-22-8167)", ["***-**-8167"]),
        ("536-22-8167\n412-55-0199", ["***-**-8167", "***-**-0199"]),
    ],
)
def test_ssns_are_found(detector: Detector, text: str, expected: list[str]) -> None:
    assert found(detector, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 536228167 shipped",  # bare, no context
        "INV-536-22-8167",  # part of a longer token
        "536-22-8167-A",
        "X536-22-8167",
        "536-22-81670",
        "call 202-555-0147",  # phone
        "ZIP 20528-0001",  # ZIP+4
        "536-22 8167",  # mixed separators
        "000-22-8167",
        "666-22-8167",
        "912-22-8167",
        "536-00-8167",
        "536-22-0000",
        "078-05-1120",
        "219-09-9999",
        "123-45-6789",
        "987-65-4321",
        "meeting 2026-11-25",
    ],
)
def test_near_misses_are_not_ssns(detector: Detector, text: str) -> None:
    assert found(detector, text) == []


def test_line_numbers_and_individuals(detector: Detector) -> None:
    text = "a\nb 536-22-8167\nc\nd 536-22-8167 and 412-55-0199\n"
    detection = detector.detect([Segment("attachment x.csv", text)])
    assert [(f.where, f.line) for f in detection.findings] == [
        ("attachment x.csv", 2),
        ("attachment x.csv", 4),
        ("attachment x.csv", 4),
    ]
    assert detection.individual_count == 2


def test_validity_rules() -> None:
    assert is_valid_ssn("899999999")  # randomised era: high areas are valid
    assert is_valid_ssn("772123456")
    assert not is_valid_ssn("900123456")
    assert not is_valid_ssn("12345678")


def test_finding_repr_and_public_form_hold_no_digits(detector: Detector) -> None:
    finding = detector.detect([Segment("body", "SSN 536-22-8167")]).findings[0]
    assert "536" not in repr(finding)
    assert "536" not in str(finding.public())

"""US Social Security numbers.

Shapes: ``123-45-6789``, ``123 45 6789`` (one separator, used twice) and bare ``123456789``.
A dashed or spaced number in the right shape is an SSN on its own, unless it is part of a
longer token (``INV-123-45-6789``, ``123-45-6789-A``). A bare nine-digit number counts only
with a context word nearby (Presidio's context enhancer lifts its score over the threshold).

Validation follows SSA's rules since randomisation (2011): area not 000, 666 or 900-999,
group not 00, serial not 0000; the pre-2011 "high group" tables are deliberately not used.
Well-known sample and advertising numbers are rejected.
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer

ENTITY = "US_SSN"

# Published/advertised numbers that appear in examples and forms, and repeated digits.
SAMPLE_NUMBERS = frozenset(
    {"078051120", "219099999", "123456789", "111111111", "333333333", "987654321"}
    | {f"98765432{d}" for d in range(10)}
    | {str(d) * 9 for d in range(1, 10)}
)

_EDGE_BEFORE = r"(?<![\w\-.])"
_EDGE_AFTER = r"(?![\w\-]|\.\d)"


def is_valid_ssn(digits: str) -> bool:
    if len(digits) != 9 or not digits.isdigit():
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area >= "900":
        return False
    if group == "00" or serial == "0000":
        return False
    return digits not in SAMPLE_NUMBERS


def mask_ssn(digits: str) -> str:
    return f"***-**-{digits[-4:]}"


class UsSsnRecognizer(PatternRecognizer):
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("ssn-dashed", _EDGE_BEFORE + r"\d{3}-\d{2}-\d{4}" + _EDGE_AFTER, 0.85),
        Pattern("ssn-spaced", _EDGE_BEFORE + r"\d{3} \d{2} \d{4}" + _EDGE_AFTER, 0.85),
        # Needs context: 0.05 alone, lifted to the threshold by a context word.
        Pattern("ssn-bare", _EDGE_BEFORE + r"\d{9}" + _EDGE_AFTER, 0.05),
    ]
    CONTEXT: ClassVar[list[str]] = [
        "ssn",
        "ssns",
        "ssn#",
        "ss",
        "ss#",
        "ssa",
        "social",
        "soc",
        "ssan",
    ]

    def __init__(self, extra_context: list[str] | None = None) -> None:
        super().__init__(
            supported_entity=ENTITY,
            name="UsSsnRecognizer",
            patterns=self.PATTERNS,
            context=[*self.CONTEXT, *(extra_context or [])],
            supported_language="en",
        )

    def invalidate_result(self, pattern_text: str) -> bool:
        return not is_valid_ssn(normalize(pattern_text))


def normalize(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())

"""US Social Security numbers.

Shapes: ``123-45-6789``, ``123 45 6789`` (one separator, used twice) and bare ``123456789``.
A dashed or spaced number in the right shape is an SSN on its own, unless it is part of a
longer token (``INV-123-45-6789``, ``123-45-6789-A``). A bare nine-digit number counts only
with a context word (SSN, social security, SS#, soc sec…) shortly before it, or in a table
column headed so.

Validation follows SSA's rules since randomisation (2011): area not 000, 666 or 900-999,
group not 00, serial not 0000; the pre-2011 "high group" tables are deliberately not used.
Well-known sample and advertising numbers are rejected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from piigate.detect.recognizer import Match, PiiRecognizer, digits

ENTITY = "US_SSN"

# Published/advertised numbers that appear in examples and forms, and repeated digits.
SAMPLE_NUMBERS = frozenset(
    {"078051120", "219099999", "123456789", "111111111", "333333333", "987654321"}
    | {f"98765432{d}" for d in range(10)}
    | {str(d) * 9 for d in range(1, 10)}
)

# Digits first: the edge before the number is checked after its first digit (two characters
# back: not a word character, dash or dot, then that digit), the same condition as a
# lookbehind in front, but a pattern that starts with ``\d`` lets the engine skip ahead to
# the next digit instead of trying the lookbehind at every character. Shaped and bare
# numbers are one pattern, one pass over the text (they cannot start at the same place:
# the fourth character is a separator or a digit). Identical matches to the two
# lookbehind-first patterns: tests/unit/test_digit_patterns.py.
_EDGE_AFTER = r"(?![\w\-]|\.\d)"
_NUMBER = re.compile(
    r"\d(?<![\w\-.]\d)(?:\d{2}(?P<sep>[- ])\d{2}(?P=sep)\d{4}|(?P<bare>\d{8}))" + _EDGE_AFTER
)
_CELL = re.compile(r"\d{3}([- ]?)\d{2}\1\d{4}")


def is_valid_ssn(number: str) -> bool:
    if len(number) != 9 or not number.isdigit():
        return False
    area, group, serial = number[:3], number[3:5], number[5:]
    if area in ("000", "666") or area >= "900":
        return False
    if group == "00" or serial == "0000":
        return False
    return number not in SAMPLE_NUMBERS


def mask_ssn(number: str) -> str:
    return f"***-**-{number[-4:]}"


def normalize(text: str) -> str:
    return digits(text)


class UsSsnRecognizer(PiiRecognizer):
    ENTITY = ENTITY
    NAME = "UsSsnRecognizer"
    CONTEXT: ClassVar[tuple[str, ...]] = (
        "ssn",
        "ssns",
        "ssn#",
        "ss",
        "ss#",
        "ssa",
        "ssan",
        "social",
        "social security",
        "soc sec",
        "soc",
    )

    def matches(self, text: str) -> Iterator[Match]:
        bare = []
        for m in _NUMBER.finditer(text):
            if m.group("bare"):
                bare.append(m)
                continue
            number = digits(m.group())
            if is_valid_ssn(number):
                score = 1.0 if self.has_context(text, m.start()) else 0.85
                yield Match(m.start(), m.end(), number, score)
        for m in bare:  # after the shaped ones, as they always came
            number = m.group()
            if is_valid_ssn(number) and self.has_context(text, m.start(), end=m.end()):
                yield Match(m.start(), m.end(), number, 0.85)

    def cell(self, value: str) -> str | None:
        m = _CELL.fullmatch(value.strip())
        if m is None:
            return None
        number = digits(value)
        return number if is_valid_ssn(number) else None

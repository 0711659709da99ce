"""Identity-document numbers: driver's licenses, US passports, alien registration numbers.

None of these shapes is distinctive alone (a nine-digit passport number looks like any other
number), so each needs its context word shortly before it — "passport no.", "DL#",
"A-number", "alien registration", "USCIS #" — or a table column headed so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from piigate.detect.recognizer import Match, PiiRecognizer, digits

DRIVER_LICENSE = "US_DRIVER_LICENSE"
PASSPORT = "US_PASSPORT"
A_NUMBER = "US_A_NUMBER"

_EDGE_BEFORE = r"(?<![\w\-./])"
_EDGE_AFTER = r"(?![\w\-/]|\.\w)"


class _ContextValueRecognizer(PiiRecognizer):
    """A value shape that counts only after a context word."""

    VALUE: ClassVar[re.Pattern[str]]
    SCORE: ClassVar[float] = 0.85

    def matches(self, text: str) -> Iterator[Match]:
        floor = 0
        for m in self.VALUE.finditer(text):
            key = self.key(m.group())
            if key is None:
                continue
            if self.has_context(text, m.start(), floor, m.end()):
                yield Match(m.start(), m.end(), key, self.SCORE)
            floor = m.end()

    def key(self, value: str) -> str | None:
        raise NotImplementedError

    def cell(self, value: str) -> str | None:
        value = value.strip()
        m = self.VALUE.fullmatch(value)
        return self.key(value) if m else None


class UsPassportRecognizer(_ContextValueRecognizer):
    """US passport book or card numbers: nine digits, or a letter and eight digits."""

    ENTITY = PASSPORT
    NAME = "UsPassportRecognizer"
    CONTEXT: ClassVar[tuple[str, ...]] = ("passport", "passports", "passport no", "ppt no")
    TRIGGERS: ClassVar[tuple[str, ...]] = ("passport", "ppt")
    VALUE = re.compile(_EDGE_BEFORE + r"(?:[A-Za-z]\d{8}|\d{9})" + _EDGE_AFTER)

    def key(self, value: str) -> str | None:
        value = value.upper()
        number = digits(value)
        if len(set(number)) == 1 or number in ("12345678", "123456789"):
            return None
        return value


class UsDriverLicenseRecognizer(_ContextValueRecognizer):
    """State driver's license numbers: 5 to 20 letters, digits and dashes with at least five
    digits and at most three letters (the states' formats vary too much for one shape)."""

    ENTITY = DRIVER_LICENSE
    NAME = "UsDriverLicenseRecognizer"
    CONTEXT: ClassVar[tuple[str, ...]] = (
        "driver's license",
        "drivers license",
        "driver license",
        "driver's licence",
        "drivers licence",
        "driver's lic",
        "drivers lic",
        "driving license",
        "operator's license",
        "dl",
        "dl#",
        "dl no",
        "d/l",
        "dln",
        "cdl",
    )
    HEADER_CONTEXT: ClassVar[tuple[str, ...]] = ("license number", "license no", "license #")
    TRIGGERS: ClassVar[tuple[str, ...]] = ("licen", "dl", "d/l", "lic")
    VALUE = re.compile(
        _EDGE_BEFORE + r"(?=[A-Za-z-]{0,3}\d)[A-Za-z0-9][A-Za-z0-9-]{3,18}[A-Za-z0-9]" + _EDGE_AFTER
    )

    def key(self, value: str) -> str | None:
        compact = value.replace("-", "").upper()
        letters = sum(ch.isalpha() for ch in compact)
        number = digits(compact)
        if len(number) < 5 or letters > 3 or len(set(number)) == 1:
            return None
        return compact


class ANumberRecognizer(_ContextValueRecognizer):
    """Alien registration numbers: ``A`` and eight or nine digits, with or without dashes or
    spaces (``A123456789``, ``A-123-456-789``, ``A# 12345678``). The key is the nine digits
    (an eight-digit number gets its leading zero)."""

    ENTITY = A_NUMBER
    NAME = "ANumberRecognizer"
    CONTEXT: ClassVar[tuple[str, ...]] = (
        "a-number",
        "a number",
        "a-no",
        "a#",
        "a-file",
        "alien number",
        "alien registration",
        "alien registration number",
        "alien #",
        "alien no",
        "uscis",
        "uscis #",
        "uscis number",
        "arn",
    )
    TRIGGERS: ClassVar[tuple[str, ...]] = (
        "a-n",
        "a n",
        "a#",
        "a-#",
        "a-f",
        "a-no",
        "alien",
        "uscis",
        "arn",
    )
    VALUE = re.compile(
        r"(?<![\w\-./])A(?:-|#\s?|\s|-#)?(?:\d{2,3}[- ]?\d{3}[- ]?\d{3})" + _EDGE_AFTER
    )
    _HASH = re.compile(r"^A-?#")

    def matches(self, text: str) -> Iterator[Match]:
        floor = 0
        for m in self.VALUE.finditer(text):
            key = self.key(m.group())
            if key is None:
                continue
            if self._HASH.match(m.group()) or self.has_context(text, m.start(), floor, m.end()):
                yield Match(m.start(), m.end(), key, self.SCORE)
            floor = m.end()

    def key(self, value: str) -> str | None:
        number = digits(value)
        if len(number) not in (8, 9) or len(set(number)) == 1:
            return None
        return number.zfill(9)

    def cell(self, value: str) -> str | None:
        value = value.strip()
        if value[:1] not in ("A", "a"):
            value = "A" + value
        return super().cell(value.upper())

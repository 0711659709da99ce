"""Dates of birth: a calendar date with DOB context ("DOB", "date of birth", "born", "birth
date") shortly before it, or in a column headed so. A date without that context (a meeting,
an invoice date, a deadline) is not a DOB.

Dates are read in the shapes people write them — ``1975-03-02``, ``03/02/1975``, ``3/2/75``,
``03.02.1975``, ``March 2, 1975``, ``Mar. 2nd 1975``, ``2 March 1975``, ``02-Mar-1975``, and
in a DOB column also ``19750302`` — month first when ambiguous (US usage), day first when the
first number cannot be a month. Two-digit years are taken as the most recent past year. A DOB
lies between 1900 and today. The key is ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import ClassVar

from piigate.detect.recognizer import Match, PiiRecognizer

ENTITY = "DATE_OF_BIRTH"

MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"  # noqa: E501
_DATE = re.compile(
    r"(?<![\w/.\-])(?:"
    r"(?P<iy>(?:19|20)\d\d)(?P<isep>[-/.])(?P<im>\d{1,2})(?P=isep)(?P<id>\d{1,2})"
    r"|(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>(?:19|20)\d\d|\d\d)"
    r"|(?P<mn>" + _MONTH + r")\.?\s+(?P<md>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<my>(?:19|20)\d\d)"
    r"|(?P<dd>\d{1,2})(?:st|nd|rd|th)?(?P<dsep>[\s-])(?:of\s+)?(?P<dm>" + _MONTH + r")\.?,?"
    r"(?P=dsep)(?P<dy>(?:19|20)\d\d|\d\d)"
    r")(?![\w/\-]|\.\d)",
    re.I,
)
_COMPACT = re.compile(r"(?:19|20)\d{6}|\d{8}")


def _year(text: str, today: dt.date) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if 2000 + year <= today.year else 1900
    return year


def _make(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_match(m: re.Match[str], today: dt.date) -> dt.date | None:
    if m.group("iy"):
        return _make(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
    if m.group("a"):
        first, second = int(m.group("a")), int(m.group("b"))
        year = _year(m.group("y"), today)
        if first > 12:  # day first
            first, second = second, first
        return _make(year, first, second)
    if m.group("mn"):
        return _make(int(m.group("my")), MONTHS[_month_key(m, "mn")], int(m.group("md")))
    month = MONTHS[_month_key(m, "dm")]
    return _make(_year(m.group("dy"), today), month, int(m.group("dd")))


def _month_key(m: re.Match[str], group: str) -> str:
    name = m.group(group).lower()
    return name if name in MONTHS else name[:3]


def parse_date(text: str, today: dt.date | None = None) -> dt.date | None:
    """Parse one date written alone (a table cell)."""
    today = today or dt.date.today()
    text = text.strip()
    m = _DATE.fullmatch(text)
    if m:
        return parse_match(m, today)
    if _COMPACT.fullmatch(text):
        iso = _make(int(text[:4]), int(text[4:6]), int(text[6:]))
        return iso or _make(int(text[4:]), int(text[:2]), int(text[2:4]))
    return None


def plausible_dob(date: dt.date | None, today: dt.date) -> bool:
    return date is not None and date.year >= 1900 and date <= today


def mask_dob(iso: str) -> str:
    return f"**/**/{iso[:4]}"


def find_dates(text: str) -> Iterator[re.Match[str]]:
    return _DATE.finditer(text)


class DateOfBirthRecognizer(PiiRecognizer):
    """A date after a DOB context word. Only reported paired with a person's name."""

    ENTITY = ENTITY
    NAME = "DateOfBirthRecognizer"
    CONTEXT: ClassVar[tuple[str, ...]] = (
        "dob",
        "d.o.b",
        "date of birth",
        "birth date",
        "birthdate",
        "birthday",
        "born",
        "born on",
        "b-day",
        "bday",
        "date of birth (mm/dd/yyyy)",
    )
    HEADER_CONTEXT: ClassVar[tuple[str, ...]] = ("birth", "birth dt", "dob dt")
    CONTEXT_WINDOW = 32
    TRIGGERS: ClassVar[tuple[str, ...]] = ("dob", "birth", "born", "d.o.b", "bday", "b-day")
    _AFTER = re.compile(r"^\s*\(?\s*(?:dob|d\.o\.b\.?|date of birth)\b", re.I)

    def matches(self, text: str) -> Iterator[Match]:
        today = dt.date.today()
        floor = 0
        for m in _DATE.finditer(text):
            after = text[m.end() : m.end() + 20]
            if self.has_context(text, m.start(), floor) or self._AFTER.match(after):
                date = parse_match(m, today)
                if plausible_dob(date, today):
                    assert date is not None
                    yield Match(m.start(), m.end(), date.isoformat(), 0.85)
            floor = m.end()

    def cell(self, value: str) -> str | None:
        today = dt.date.today()
        date = parse_date(value, today)
        return date.isoformat() if date is not None and plausible_dob(date, today) else None

"""The canonical text layer: what a person reads as the same characters reads the same to the
detectors, lines stay where they were, and positions map back to the original."""

from __future__ import annotations

import random
import unicodedata

import pytest

from piigate.canonical import Canonicalizer, canonical_table
from piigate.config import DetectionSettings
from piigate.detect import Detector
from piigate.model import Segment, Table
from tests.synthetic import ssn

SSN = ssn(random.Random(14)).replace("-", "")
"""A generated SSN (nine digits), written 123-45-6789 style below."""


@pytest.fixture(scope="module")
def canonical() -> Canonicalizer:
    return Canonicalizer()


def _digits_in(zero: str, number: str) -> str:
    """``number`` written with the decimal digits of the script whose zero is ``zero``."""
    return "".join(chr(ord(zero) + int(d)) if d.isdigit() else d for d in number)


def _dashed(number: str, dash: str = "-") -> str:
    return f"{number[:3]}{dash}{number[3:5]}{dash}{number[5:]}"


@pytest.mark.parametrize(
    "zero", ["\uff10", "\u0660", "\u06f0", "\u0966", "\u09e6", "\u0e50", "\U0001d7ce", "\U0001d7ec"]
)
def test_every_script_of_decimal_digits_reads_as_ascii(canonical: Canonicalizer, zero: str) -> None:
    """Fullwidth, Arabic-Indic, Persian, Devanagari, Bengali, Thai and mathematical digits
    read as the ASCII digits they are."""
    assert canonical(_digits_in(zero, _dashed(SSN))).text == _dashed(SSN)


def test_every_unicode_decimal_digit_is_in_the_table(canonical: Canonicalizer) -> None:
    """No decimal digit in the scanned planes is left out (the table is built from the
    categories, not from a hand list)."""
    missing = [
        hex(code)
        for code in range(0x80, 0x20000)
        if chr(code).isdecimal()
        and canonical.text(chr(code)) != str(unicodedata.decimal(chr(code)))
    ]
    assert missing == []


@pytest.mark.parametrize(
    "dash", ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe58",
             "\ufe63", "\uff0d", "\u2043"],
)  # fmt: skip
def test_dash_like_separators_read_as_hyphen(canonical: Canonicalizer, dash: str) -> None:
    """Word's non-breaking hyphen, en/em dashes, the minus sign and the small/fullwidth
    hyphens all read as '-'."""
    assert canonical(_dashed(SSN, dash)).text == _dashed(SSN)


@pytest.mark.parametrize(
    "space", ["\u00a0", "\u2000", "\u2005", "\u2009", "\u200a", "\u202f", "\u205f", "\u3000"]
)
def test_space_like_separators_read_as_space(canonical: Canonicalizer, space: str) -> None:
    """No-break, en/em/thin/hair, narrow no-break, math and ideographic spaces read as ' '."""
    assert canonical(_dashed(SSN, space)).text == _dashed(SSN, " ")


@pytest.mark.parametrize(
    "invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e",
                  "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069", "\ufe0f"],
)  # fmt: skip
def test_invisible_format_characters_inside_a_number_are_dropped(
    canonical: Canonicalizer, invisible: str
) -> None:
    """Zero-width characters, soft hyphen, bidi controls and variation selectors vanish."""
    written = invisible.join(_dashed(SSN))
    assert canonical(written).text == _dashed(SSN)


def test_compatibility_forms_fold_to_their_nfkc_reading(canonical: Canonicalizer) -> None:
    """Fullwidth letters and punctuation read as ASCII, so a context word still counts."""
    assert canonical("\uff33\uff33\uff2e\uff1a").text == "SSN:"


def test_line_breaks_never_move(canonical: Canonicalizer) -> None:
    """No table entry makes or removes a line break: line numbers stay those of the original."""
    assert all("\n" not in value and "\r" not in value for value in canonical_table().values())
    text = "a\u200b\nb\u00a0c\n\uff11\n"
    assert canonical(text).text.count("\n") == text.count("\n")


def test_positions_map_back_to_the_original(canonical: Canonicalizer) -> None:
    """A span of the canonical text maps back to the original characters it came from."""
    original = "x \u200b\uff11\uff12\uff13\u2011\uff14\uff15\u2011\uff16\uff17\uff18\uff19 y"
    result = canonical(original)
    start = result.text.index("1")
    end = start + len(_dashed("123456789"))
    assert result.text[start:end] == "123-45-6789"
    positions = result.position_map()
    a, b = positions.original_span(start, end)
    assert original[a:b] == original[3:-2]
    assert positions.original_offset(result.text.index("y")) == original.index("y")
    assert positions.original_offset(0) == 0


def test_ascii_text_is_returned_as_it_is(canonical: Canonicalizer) -> None:
    """Plain ASCII text (most mail) is not copied: the same string, no map."""
    text = "plain text 123-45-6789"
    result = canonical(text)
    assert result.text is text and not result.changed
    assert result.original_span(3, 7) == (3, 7)


def test_a_text_of_only_invisible_characters_maps_to_its_end(canonical: Canonicalizer) -> None:
    """Everything dropped: the empty canonical text maps to the end of the original."""
    result = canonical("\u200b\u200b")
    assert result.text == "" and result.changed
    assert result.original_span(0, 0) == (2, 2)


def test_detector_reads_canonical_text_in_prose_and_tables() -> None:
    """An SSN written with fullwidth digits and non-breaking hyphens is found, on its line, in
    running text and in a table cell."""
    detector = Detector(DetectionSettings())
    fancy = _digits_in("\uff10", _dashed(SSN, "\u2011"))
    table = Table("", (("name", "ssn"), ("Pat Example", fancy)))
    segment = Segment("body", f"Hello\n\u200bSSN {fancy}\n", tables=(table,))
    findings = detector.detect([segment]).findings
    assert [(f.entity_type, f.line, f.key) for f in findings] == [
        ("US_SSN", 2, SSN),
        ("US_SSN", 2, SSN),
    ]

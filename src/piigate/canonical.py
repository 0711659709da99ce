"""Canonical text: the one layer between extract and detect.

Every extractor hands its raw text (with its place, in a ``Segment``); the detector reads
only the canonical form made here, so no recognizer normalises on its own. What a person
reads as the same characters reads the same to the gate:

- every Unicode decimal digit (``str.isdecimal``: fullwidth, Arabic-Indic, Devanagari,
  mathematical …) is its ASCII digit;
- every dash (category Pd, plus the minus sign U+2212, the hyphen bullet U+2043 and the
  modifier minus U+02D7) is ``-``;
- every space separator (category Zs: no-break, en/em/thin/hair, narrow no-break, ideographic
  …) is `` ``;
- every invisible format character (category Cf: zero-width space/joiners, word joiner, BOM,
  soft hyphen, Mongolian vowel separator, bidi marks, embeddings, overrides and isolates,
  tags) and every variation selector is dropped;
- every other character takes its NFKC compatibility form (fullwidth letters, ligatures,
  superscripts, circled digits …);
- a lone surrogate (a byte that was not text, kept by ``surrogateescape``: a raw 0x80 in a
  header) is U+FFFD, so no detector (spaCy included) meets a character it cannot encode.

Line breaks are never added, removed or moved (nothing maps to or from ``\\n``), so a line
number counted in the canonical text is the line of the original. ``CanonicalText`` maps a
canonical position back to the original one for anything that must point into the raw text.

The table of replacements is built once per process (about half a second) from
``unicodedata``, by a long-running gate as it starts and by a short command (``piigate
scan``) only when it first meets text that is not ASCII; per text the work is one
``isascii`` check, and for text that is not ASCII a single ``str.translate``; the map back is
built only when asked for.
"""

from __future__ import annotations

import functools
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["CanonicalText", "Canonicalizer", "PositionMap", "canonical_table"]

DASH_LIKE_OUTSIDE_PD = frozenset({0x2212, 0x2043, 0x02D7})
"""Dash-like characters that Unicode does not class as dash punctuation (Pd)."""

_DROP_CATEGORIES = frozenset({"Cf"})
_SKIPPED_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xD800, 0xDFFF))
"""CJK ideographs and Hangul syllables (no digits, dashes, spaces, format characters or
compatibility forms among them) and surrogates: skipped to build the table faster."""
_PLANES = ((0x80, 0x30000), (0xE0000, 0xE1000))


def _canonical_char(char: str) -> str:
    """What one character reads as (itself when nothing changes)."""
    code = ord(char)
    if char.isdecimal():
        return str(unicodedata.decimal(char))
    category = unicodedata.category(char)
    if category == "Pd" or code in DASH_LIKE_OUTSIDE_PD:
        return "-"
    if category == "Zs":
        return " "
    if category in _DROP_CATEGORIES or _is_variation_selector(code) or code == 0x034F:
        return ""
    folded = unicodedata.normalize("NFKC", char)
    if folded == char or "\n" in folded or "\r" in folded:
        return char
    return "".join(_canonical_char(c) if not c.isascii() else c for c in folded)


def _is_variation_selector(code: int) -> bool:
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or 0x180B <= code <= 0x180D


def _code_points() -> list[int]:
    points: list[int] = []
    for low, high in _PLANES:
        start = low
        for skip_low, skip_high in _SKIPPED_RANGES:
            if start <= skip_low < high:
                points.extend(range(start, skip_low))
                start = skip_high + 1
        points.extend(range(start, high))
    return points


@functools.cache
def canonical_table() -> MappingProxyType[str, str]:
    """Every non-ASCII character that reads as something else, and what it reads as.
    Built once per process (read-only)."""
    table: dict[str, str] = {}
    for code in _code_points():
        char = chr(code)
        replacement = _canonical_char(char)
        if replacement != char:
            table[char] = replacement
    table.update((chr(code), "\ufffd") for code in range(0xD800, 0xE000))
    return MappingProxyType(table)


@dataclass(frozen=True, slots=True)
class PositionMap:
    """Canonical positions back to original ones.

    ``anchors`` are ``(canonical position, original position, replaced)`` where a stretch
    begins: in a copied stretch positions advance together; a replacement's characters all
    map to the one original character they came from. No anchors: the text is unchanged."""

    anchors: tuple[tuple[int, int, bool], ...] = ()

    def original_offset(self, position: int) -> int:
        """The position in the original text of the character at canonical ``position``."""
        if not self.anchors:
            return position
        index = bisect_right(self.anchors, (position, 1 << 62, True)) - 1
        canonical_start, original_start, replaced = self.anchors[max(index, 0)]
        return original_start if replaced else original_start + (position - canonical_start)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span that canonical ``[start, end)`` was made from."""
        if end <= start:
            at = self.original_offset(start)
            return at, at
        return self.original_offset(start), self.original_offset(end - 1) + 1


@dataclass(frozen=True, slots=True)
class CanonicalText:
    """A text in canonical form, and (built on demand: detection itself needs only the text
    and its lines) the map back to the original positions."""

    text: str = field(repr=False)
    original: str = field(repr=False)
    replacements: MappingProxyType[str, str] | None = field(default=None, repr=False)
    """The table, when some character of ``original`` was replaced."""

    @property
    def changed(self) -> bool:
        return self.replacements is not None

    def position_map(self) -> PositionMap:
        table = self.replacements
        if table is None:
            return PositionMap()
        text = self.original
        changing = [char for char in set(text) if char in table]
        positions = sorted(p for char in changing for p in _positions(text, char))
        anchors: list[tuple[int, int, bool]] = []
        canonical_at = copied_from = 0
        for position in positions:
            if position > copied_from:
                anchors.append((canonical_at, copied_from, False))
                canonical_at += position - copied_from
            replacement = table[text[position]]
            if replacement:
                anchors.append((canonical_at, position, True))
                canonical_at += len(replacement)
            copied_from = position + 1
        if copied_from < len(text) or not anchors:
            anchors.append((canonical_at, copied_from, False))
        return PositionMap(tuple(anchors))

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span that canonical ``[start, end)`` was made from (for many spans,
        build ``position_map()`` once)."""
        return self.position_map().original_span(start, end)


class Canonicalizer:
    """Makes canonical text; built once (it holds the table)."""

    def __init__(self, *, build_now: bool = True) -> None:
        """``build_now`` False: the table is built when the first text that is not ASCII
        comes (ASCII text never needs it)."""
        self._ordinals: dict[int, str] | None = _ordinals() if build_now else None

    @property
    def table(self) -> MappingProxyType[str, str]:
        return canonical_table()

    def __call__(self, text: str) -> CanonicalText:
        if text.isascii():
            return CanonicalText(text, text)
        canonical = self._translate(text)
        if canonical == text:
            return CanonicalText(text, text)
        return CanonicalText(canonical, text, self.table)

    def text(self, text: str) -> str:
        """Only the canonical text (a table cell, a header)."""
        return text if text.isascii() else self._translate(text)

    def _translate(self, text: str) -> str:
        if self._ordinals is None:
            self._ordinals = _ordinals()
        return text.translate(self._ordinals)


def _ordinals() -> dict[int, str]:
    return {ord(char): value for char, value in canonical_table().items()}


def _positions(text: str, char: str) -> list[int]:
    found = []
    at = text.find(char)
    while at >= 0:
        found.append(at)
        at = text.find(char, at + 1)
    return found

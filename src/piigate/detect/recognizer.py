"""The shape every piigate recognizer shares: a Presidio ``EntityRecognizer`` that finds
candidate values with compiled patterns, checks context words on the raw text, validates, and
hands back each value's normalised key.

Context is read from the text itself (a window of characters before the value, never across
an earlier value), not from an NLP pipeline, so analysing a message never tokenises it. The
same recognizer validates single table cells (``cell``) for a column that its header or its
sample typed, so a table never goes through the analyzer cell by cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from presidio_analyzer import EntityRecognizer, RecognizerResult

KEY = "piigate_key"
"""The recognition-metadata entry holding a result's normalised value (never serialised)."""


@dataclass(frozen=True, slots=True)
class Match:
    start: int
    end: int
    key: str
    score: float


class FoldedPattern:
    """A case-insensitive pattern for scanning whole texts, run as a case-sensitive one over
    the lower-cased text: CPython's ``re`` finds no literal to skip ahead to in an IGNORECASE
    alternation and scans such a text about three times slower. The pattern must be written
    in lower case (it sees only lower-case text); matches' positions are those of the text.
    Where lower-casing changes the length of a text (a dotted capital I), positions would
    shift, so that text is scanned with the IGNORECASE form instead."""

    __slots__ = ("insensitive", "plain")

    def __init__(self, pattern: str) -> None:
        self.plain = re.compile(pattern)
        self.insensitive = re.compile(pattern, re.I)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        lower = text.lower()
        if len(lower) == len(text):
            return self.plain.finditer(lower)
        return self.insensitive.finditer(text)


def word_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive pattern for context words and phrases, each standing alone
    (``ss`` matches in "SS# 5..." but not in "class"). Spaces in a phrase match any run of
    spaces, and a dot or apostrophe in a phrase is optional."""
    return re.compile(word_source(words), re.I)


def word_source(words: Iterable[str]) -> str:
    """The source of ``word_pattern`` (lower case), e.g. for a ``FoldedPattern``."""
    alternatives = []
    for word in sorted({w.strip().lower() for w in words if w.strip()}, key=len, reverse=True):
        parts = []
        for char in word:
            if char == " ":
                parts.append(r"\s+")
            elif char in ".'\u2019":
                parts.append(r"[.'\u2019]?")
            else:
                parts.append(re.escape(char))
        alternatives.append("".join(parts))
    if not alternatives:
        return r"(?!x)x"
    return r"(?<![a-z0-9])(?:" + "|".join(alternatives) + r")(?![a-z0-9])"


class PiiRecognizer(EntityRecognizer):
    """Subclasses set ``ENTITY``, ``NAME``, ``CONTEXT`` and implement ``matches``."""

    ENTITY: ClassVar[str]
    NAME: ClassVar[str]
    name: str
    CONTEXT: ClassVar[tuple[str, ...]] = ()
    HEADER_CONTEXT: ClassVar[tuple[str, ...]] = ()
    """Extra words that type a table column (on top of ``CONTEXT``)."""
    CONTEXT_WINDOW: ClassVar[int] = 40
    """How many characters before a value are searched for a context word."""
    TRIGGERS: ClassVar[tuple[str, ...]] = ()
    """Lower-case substrings one of which a text must contain for the recognizer to run at
    all (a fast pre-check; empty: always run). Extra context words are added to them."""

    def __init__(
        self, extra_context: Iterable[str] = (), score_threshold: float | None = None
    ) -> None:
        words = (*self.CONTEXT, *extra_context)
        super().__init__(
            supported_entities=[self.ENTITY],
            name=self.NAME,
            supported_language="en",
            context=list(words),
            score_thresholds=None if score_threshold is None else {"default": score_threshold},
        )
        self.context_words = word_pattern(words)
        self.triggers = (
            tuple({*self.TRIGGERS, *(w.strip().lower() for w in extra_context if w.strip())})
            if self.TRIGGERS
            else ()
        )
        self.header_words = word_pattern((*words, *self.HEADER_CONTEXT))

    def load(self) -> None:
        """Patterns are compiled at class definition; nothing to load."""

    def matches(self, text: str) -> Iterator[Match]:
        raise NotImplementedError

    def cell(self, value: str) -> str | None:
        """The key of ``value`` as a cell of a column of this type, or None if it is not one."""
        return None

    def typed_by_header(self, header: str) -> bool:
        return bool(self.header_words.search(header))

    def has_context(self, text: str, start: int, floor: int = 0, end: int | None = None) -> bool:
        """A context word is in the window before ``start`` (but not before ``floor``), or,
        given the value's ``end``, in parentheses right after it ("A123456789 (A-number)")."""
        window = text[max(floor, start - self.CONTEXT_WINDOW) : start]
        if self.context_words.search(window):
            return True
        if end is None:
            return False
        after = _AFTER.match(text, end)
        return after is not None and bool(self.context_words.match(after.group(1)))

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        if self.triggers:
            lower = text.lower()
            if not any(trigger in lower for trigger in self.triggers):
                return []
        return [
            RecognizerResult(
                self.ENTITY,
                m.start,
                m.end,
                m.score,
                recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    KEY: m.key,
                },
            )
            for m in self.matches(text)
        ]


_AFTER = re.compile(r"\s*[(\[]\s*([^)\]\n]{1,30})[)\]]")


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())

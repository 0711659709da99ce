"""Records in running text: which person's name each paired element (and each identifier
near one) belongs to.

A prose record is a line, or a short window of lines (two before, one after) that does not
cross a blank line. A paired element (a DOB, an SSN's last four…) takes the nearest name:
on its own line the closest one before it, else the closest one after it; else the last
name on the lines just before; else the first name on the next line. Another line that
carries an element of the same type is another record, and is not looked into. An
identifier (an SSN…) in such a window joins the name the same way, but never one below it.
Names come from the lexicon; only a window where the lexicon finds no name goes through NER.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from piigate.detect.entities import PAIRED
from piigate.detect.names import NameMention

WINDOW_BEFORE, WINDOW_AFTER = 2, 1


@dataclass(frozen=True, slots=True)
class Hit:
    """One recognizer result, located; the raw value stays inside the detector."""

    entity_type: str
    start: int
    end: int
    key: str = field(repr=False)
    score: float
    recognizer: str


@dataclass(frozen=True, slots=True)
class Paired:
    """A hit with the name mention it belongs to (None: no name in its record)."""

    hit: Hit
    name: NameMention | None


LexiconFinder = Callable[[str, int, int], Iterable[NameMention]]
NerFinder = Callable[[Sequence[tuple[int, str]]], Iterable[NameMention]]


class Lines:
    """Line starts of a text, for offset → line lookups."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        index = text.find("\n")
        while index != -1:
            self.starts.append(index + 1)
            index = text.find("\n", index + 1)

    def index(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def span(self, line: int) -> tuple[int, int]:
        end = self.starts[line + 1] - 1 if line + 1 < len(self.starts) else len(self.text)
        return self.starts[line], end

    def blank(self, line: int) -> bool:
        start, end = self.span(line)
        return not self.text[start:end].strip()


def pair_names(
    text: str,
    lines: Lines,
    hits: Sequence[Hit],
    *,
    lexicon: LexiconFinder | None,
    ner: NerFinder | None,
    ner_max_windows: int,
) -> list[Paired]:
    """Every hit, with its name where one completes a pair or a record."""
    pair_lines = sorted({lines.index(h.start) for h in hits if h.entity_type in PAIRED})
    if not pair_lines or (lexicon is None and ner is None):
        return [Paired(h, None) for h in hits]
    windows = {line: _window(lines, line) for line in pair_lines}
    in_window = {i for low, high in windows.values() for i in range(low, high + 1)}
    mentions: dict[int, list[NameMention]] = {i: [] for i in in_window}
    if lexicon is not None:
        found: dict[tuple[int, int], NameMention] = {}
        for low, high in dict.fromkeys(windows.values()):
            for mention in lexicon(text, lines.starts[low], lines.span(high)[1]):
                found.setdefault((mention.start, mention.end), mention)
        for mention in found.values():
            mentions[lines.index(mention.start)].append(mention)
    if ner is not None and ner_max_windows:
        _add_ner(text, lines, windows=windows, mentions=mentions, ner=ner, limit=ner_max_windows)
    for on_line in mentions.values():
        on_line.sort(key=lambda m: m.start)
    types_by_line: dict[int, set[str]] = {}
    for h in hits:
        types_by_line.setdefault(lines.index(h.start), set()).add(h.entity_type)
    paired = []
    for h in hits:
        line = lines.index(h.start)
        name = None
        if line in in_window:
            name = _nearest(h, line, lines, mentions, types_by_line)
        paired.append(Paired(h, name))
    return paired


def _window(lines: Lines, line: int) -> tuple[int, int]:
    low = line
    while low > line - WINDOW_BEFORE and low > 0 and not lines.blank(low - 1):
        low -= 1
    high = line
    last = len(lines.starts) - 1
    while high < line + WINDOW_AFTER and high < last and not lines.blank(high + 1):
        high += 1
    return low, high


def _add_ner(
    text: str,
    lines: Lines,
    *,
    windows: dict[int, tuple[int, int]],
    mentions: dict[int, list[NameMention]],
    ner: NerFinder,
    limit: int,
) -> None:
    spans = []
    for low, high in dict.fromkeys(windows.values()):
        if any(mentions[i] for i in range(low, high + 1)):
            continue
        start, end = lines.starts[low], lines.span(high)[1]
        spans.append((start, text[start:end]))
        if len(spans) >= limit:
            break
    if not spans:
        return
    for mention in ner(spans):
        line = lines.index(mention.start)
        if line in mentions and not any(_overlap(mention, m) for m in mentions[line]):
            mentions[line].append(mention)


def _overlap(a: NameMention, b: NameMention) -> bool:
    return a.start < b.end and b.start < a.end


def _nearest(
    hit: Hit,
    line: int,
    lines: Lines,
    mentions: dict[int, list[NameMention]],
    types_by_line: dict[int, set[str]],
) -> NameMention | None:
    own = [m for m in mentions.get(line, ()) if m.end <= hit.start or m.start >= hit.end]
    before = [m for m in own if m.end <= hit.start]
    if before:
        return before[-1]
    if own:
        return own[0]
    low, high = _window(lines, line)
    for other in range(line - 1, low - 1, -1):
        if hit.entity_type in types_by_line.get(other, ()):
            break
        if mentions.get(other):
            return mentions[other][-1]
    if hit.entity_type not in PAIRED:
        return None  # an identifier joins a name on its line or the lines before
    for other in range(line + 1, high + 1):
        if hit.entity_type in types_by_line.get(other, ()):
            break
        if mentions.get(other):
            return mentions[other][0]
    return None

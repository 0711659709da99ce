"""A table's untyped cells as text, streamed: one line per row, through the text recognizers
a chunk of whole rows at a time, holding only the rows the current chunk needs.

    rows ─▶ lines ─▶ chunk (about ``chunk_chars`` of whole lines)
                     + ``margin_chars`` of the lines either side, for context words
                     ─▶ text recognizers ─▶ hits in the chunk's own lines, by row

The chunks are the ones the whole table's text would give (the same boundaries, the same
margins), so the hits are exactly those of reading the table in one piece; a hit's offsets
are into the whole table's text (as if every line were joined by ``\\n``).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from piigate.detect.prose import Hit

Row = tuple[str, ...]
LineBatch = tuple[int, Sequence[Row], list[str]]
"""Consecutive rows: the first one's number in its table, the rows, and each row's untyped
cells as one line."""


class LineWindow:
    """The lines from ``first`` on, read from ``source`` a batch at a time as they are asked
    for, and dropped once no chunk needs them."""

    def __init__(self, source: Iterator[LineBatch]) -> None:
        self.source = source
        self.first = 0
        self.lines: list[str] = []
        self.rows: list[Row] = []
        self.starts: list[int] = []
        """Offset of each line held in the whole text."""
        self.first_number = 0
        """The row number of line 0."""
        self.end_offset = 0
        self.exhausted = False

    def has(self, index: int) -> bool:
        """Whether line ``index`` exists (read up to it if needed)."""
        while index - self.first >= len(self.lines) and not self.exhausted:
            batch = next(self.source, None)
            if batch is None:
                self.exhausted = True
                break
            number, rows, lines = batch
            if not self.lines and not self.first:
                self.first_number = number
            offset = self.end_offset
            for line in lines:
                self.starts.append(offset)
                offset += len(line) + 1
            self.end_offset = offset
            self.lines.extend(lines)
            self.rows.extend(rows)
        return index - self.first < len(self.lines)

    def line(self, index: int) -> str:
        return self.lines[index - self.first]

    def start(self, index: int) -> int:
        """Where line ``index`` starts in the whole text (one past the last line: its end)."""
        held = index - self.first
        return self.starts[held] if held < len(self.starts) else self.end_offset

    def drop_before(self, index: int) -> None:
        held = index - self.first
        del self.lines[:held], self.rows[:held], self.starts[:held]
        self.first = index

    def margin_before(self, edge: int, margin_chars: int) -> int:
        index, size = edge, 0
        while size < margin_chars and index > 0:
            index -= 1
            size += len(self.line(index)) + 1
        return index

    def margin_after(self, edge: int, margin_chars: int) -> int:
        index, size = edge, 0
        while size < margin_chars and self.has(index):
            index += 1
            size += len(self.line(index - 1)) + 1
        return index

    def chunk_end(self, first: int, chunk_chars: int) -> int:
        """One past the last line of the chunk that starts at line ``first``."""
        end, size = first, 0
        lines = self.lines
        while True:
            held = end - self.first
            if held >= len(lines) and not self.has(end):
                return end
            length = len(lines[held])
            if end != first and size + length >= chunk_chars:
                return end
            size += length + 1
            end += 1

    def placed(self, offset: int) -> tuple[int, Row, int]:
        """The row number, the row, and the offset within its line, of ``offset``."""
        held = bisect.bisect_right(self.starts, offset) - 1
        number = self.first_number + self.first + held
        return number, self.rows[held], offset - self.starts[held]


def chunked_hits(
    source: Iterator[LineBatch],
    text_hits: Callable[[str], Iterator[Hit]],
    check: Callable[[], None],
    *,
    chunk_chars: int,
    margin_chars: int,
) -> Iterator[tuple[int, Row, int, Hit]]:
    """The text recognizers' hits in the lines of ``source``: each with its row's number, the
    row, and where in the row's line it starts; the hit's offsets are into the whole text."""
    window = LineWindow(source)
    first = 0
    while window.has(first):
        end = window.chunk_end(first, chunk_chars)
        low = window.margin_before(first, margin_chars)
        high = window.margin_after(end, margin_chars)
        base = window.start(low)
        core_start, core_end = window.start(first) - base, window.start(end) - base
        text = "\n".join(window.line(index) for index in range(low, high))
        check()
        if text.strip(" |\n"):  # separators only: nothing a recognizer could match
            for hit in text_hits(text):
                if core_start <= hit.start < core_end:
                    placed = replace(hit, start=hit.start + base, end=hit.end + base)
                    yield (*window.placed(placed.start), placed)
        first = end
        window.drop_before(window.margin_before(first, margin_chars))

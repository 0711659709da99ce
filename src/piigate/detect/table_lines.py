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
from collections.abc import Callable, Iterator
from dataclasses import replace

from piigate.detect.prose import Hit

Row = tuple[str, ...]
NumberedLine = tuple[int, Row, str]
"""A row's number in its table, its cells, and its untyped cells as one line."""


class LineWindow:
    """The lines from ``first`` on, read from ``source`` as they are asked for."""

    def __init__(self, source: Iterator[NumberedLine]) -> None:
        self.source = source
        self.first = 0
        self.lines: list[str] = []
        self.rows: list[tuple[int, Row]] = []
        self.starts: list[int] = []
        """Offset of each line held in the whole text."""
        self.end_offset = 0
        self.exhausted = False

    def has(self, index: int) -> bool:
        """Whether line ``index`` exists (read up to it if needed)."""
        while index - self.first >= len(self.lines) and not self.exhausted:
            item = next(self.source, None)
            if item is None:
                self.exhausted = True
                break
            number, row, line = item
            self.lines.append(line)
            self.rows.append((number, row))
            self.starts.append(self.end_offset)
            self.end_offset += len(line) + 1
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
        end, size = first, 0
        while self.has(end) and (end == first or size + len(self.line(end)) < chunk_chars):
            size += len(self.line(end)) + 1
            end += 1
        return end

    def placed(self, offset: int) -> tuple[int, Row, int]:
        """The row number, the row, and the offset within its line, of ``offset``."""
        held = bisect.bisect_right(self.starts, offset) - 1
        number, row = self.rows[held]
        return number, row, offset - self.starts[held]


def chunked_hits(
    source: Iterator[NumberedLine],
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

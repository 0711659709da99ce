"""Tables by column: type each column from its header and a sample of its cells, then
validate every cell of a typed column with that type's recognizer; each row is one record.

A column is typed by its header when a recognizer's context words name it (``SSN``, ``Date
of Birth``, ``Passport No``…) and at least half of a sample of its non-empty cells validate
as that type; the more specific header wins (``SSN last 4`` before ``SSN``). Name columns are
typed by a name header (``Name``, ``Full name``, ``First``/``Last``…) or, without one, when
most sampled cells are names by the lexicon. A generic ``Account`` column is a bank account
only beside a routing-number column. The first row is a header when one of its cells types a
column, or when it has no digits and the rows below do.

The cells of untyped columns are analysed as text, one line per row, so an SSN in a "Notes"
column is still found, with its row and column.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from piigate.detect.financial import BANK_ACCOUNT, aba_ok
from piigate.detect.names import NameLexicon, normalize_name
from piigate.detect.pairs import SSN_LAST4
from piigate.detect.prose import Hit
from piigate.detect.recognizer import PiiRecognizer, word_pattern
from piigate.detect.ssn import ENTITY as SSN
from piigate.detect.table_lines import LineBatch, chunked_hits
from piigate.model import Table

SAMPLE = 50
FULL_NAME, FIRST_NAME, LAST_NAME, ROUTING = "name", "first-name", "last-name", "routing"
CHECK_ROWS = 4096
"""Rows between two deadline checks."""
TEXT_CHUNK_CHARS = 200_000
"""Untyped cells go through the text recognizers this much at a time (whole rows): one call
never holds the interpreter lock for long (small mail keeps flowing meanwhile) and the
deadline is checked between calls."""
MARGIN_CHARS = 1_000
"""Text of the rows either side of a chunk given along with it, for context words."""

# Most specific first: "SSN last 4" is a last-four column, not an SSN column.
_ORDER = (
    SSN_LAST4,
    "MOTHERS_MAIDEN_NAME",
    "DATE_OF_BIRTH",
    "CITIZENSHIP_STATUS",
    "CRIMINAL_HISTORY",
    "US_PASSPORT",
    "US_A_NUMBER",
    "US_DRIVER_LICENSE",
    "PAYMENT_CARD",
    BANK_ACCOUNT,
    SSN,
)
_FIRST = word_pattern(("first", "first name", "given name", "given", "forename", "fname"))
_LAST = word_pattern(("last", "last name", "surname", "family name", "lname"))
_FULL = word_pattern(
    ("name", "full name", "employee", "individual", "person", "applicant", "customer", "subject")
)
_NOT_PERSON = word_pattern(
    (
        "company",
        "file",
        "user",
        "username",
        "agency",
        "organization",
        "org",
        "product",
        "vendor",
        "bank",
        "street",
        "city",
        "business",
        "project",
        "host",
        "domain",
        "school",
        "facility",
        "program",
        "account",
        "maiden",
        "middle",
        "id",
        "number",
        "no",
        "#",
    )
)
_ROUTING = word_pattern(("routing", "routing number", "aba", "rtn", "transit"))
_BANK_SPECIFIC = word_pattern(("bank", "checking", "savings", "acct", "dda", "deposit"))
_NAME_SHAPE = re.compile(
    r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'\u2019.\-]*(?:,?\s+[A-Za-zÀ-ÖØ-öø-ÿ'\u2019.\-]+){0,4}"
)


@dataclass(frozen=True, slots=True)
class Column:
    index: int
    kind: str
    """An entity type, or one of the name kinds, or ROUTING."""
    recognizer: PiiRecognizer | None = None


@dataclass(frozen=True, slots=True)
class TableHit:
    row: int
    """0-based index into ``Table.rows``."""
    column: int
    hit: Hit


@dataclass(frozen=True, slots=True)
class RowRecord:
    row: int
    name: str | None
    hits: tuple[TableHit, ...]


TextHits = Callable[[str], Iterator[Hit]]
RowsMap = Callable[[Sequence[tuple[str, ...]]], Sequence[tuple[str, ...]]]


def _header_key(cell: str) -> str:
    return re.sub(r"[_\-/]+", " ", cell).strip()


class TableAnalyzer:
    def __init__(
        self,
        recognizers: Sequence[PiiRecognizer],
        lexicon: NameLexicon | None,
        text_hits: TextHits,
    ) -> None:
        by_entity = {r.ENTITY: r for r in recognizers}
        self.ordered = [by_entity[e] for e in _ORDER if e in by_entity]
        self.lexicon = lexicon
        self.text_hits = text_hits

    def analyse(
        self,
        table: Table,
        check: Callable[[], None] = lambda: None,
        canonical: RowsMap | None = None,
    ) -> tuple[list[str], Iterator[RowRecord]]:
        """The column labels (header cell or letter) and one record per data row that
        carries a hit, in row order, yielded as they are found (a million rows with a hit are
        never all held). ``check`` is called every ``CHECK_ROWS`` rows (it raises to stop);
        ``canonical`` maps each batch of rows to what detection reads. The rows are read a
        batch at a time (twice when some columns are typed: the untyped cells as text, then
        the typed cells), so a packed table is never unpacked whole; the columns are typed
        from the first rows."""
        sample = list(itertools.islice(_rows(table, canonical), SAMPLE * 2 + 1))
        if not sample:
            return [], iter(())
        width = table.width or max(len(r) for r in table.rows)
        header, columns = self._infer(sample, width)
        labels = [
            (header[i].strip() if header and i < len(header) and header[i].strip() else _letter(i))
            for i in range(width)
        ]
        first_data = 1 if header else 0
        typed = {c.index: c for c in columns}
        text_hits = self._untyped_hits(
            _batches(table, canonical, first_data), width, set(typed), check
        )
        if not columns:  # every cell went through the text recognizers: no row to revisit
            return labels, _by_row(text_hits)
        found: dict[int, list[TableHit]] = {}
        for hit in text_hits:
            found.setdefault(hit.row, []).append(hit)
        return labels, self._typed_records(
            _rows(table, canonical), columns, first_data, found, check
        )

    def _typed_records(
        self,
        rows: Iterator[tuple[str, ...]],
        columns: list[Column],
        first_data: int,
        text_hits: dict[int, list[TableHit]],
        check: Callable[[], None],
    ) -> Iterator[RowRecord]:
        for r, row in enumerate(rows):
            if r < first_data:
                continue
            if r % CHECK_ROWS == 0:
                check()
            hits = text_hits.pop(r, [])
            name_parts: dict[str, str] = {}
            for column in columns:
                cell = row[column.index].strip() if column.index < len(row) else ""
                if not cell:
                    continue
                if column.recognizer is not None:
                    key = column.recognizer.cell(cell)
                    if key is not None:
                        hit = Hit(column.kind, 0, len(cell), key, 1.0, column.recognizer.name)
                        hits.append(TableHit(r, column.index, hit))
                elif column.kind in (FULL_NAME, FIRST_NAME, LAST_NAME):
                    name_parts.setdefault(column.kind, cell)
            if hits:
                yield RowRecord(r, _row_name(name_parts), tuple(hits))

    def _infer(
        self, rows: Sequence[tuple[str, ...]], width: int
    ) -> tuple[tuple[str, ...] | None, list[Column]]:
        head = rows[0]
        body = rows[1:]
        by_header = self._type_by_header(head, body, width)
        if by_header or (len(rows) > 1 and _header_shaped(head, body)):
            names = self._name_columns_by_header(head, body, width, {c.index for c in by_header})
            return head, by_header + names
        return None, self._name_columns_by_sample(rows, width)

    def _type_by_header(
        self, head: tuple[str, ...], body: Sequence[tuple[str, ...]], width: int
    ) -> list[Column]:
        columns: list[Column] = []
        routing = [
            i
            for i in range(min(width, len(head)))
            if _ROUTING.search(_header_key(head[i])) and _share(body, i, aba_ok) >= 0.5
        ]
        columns.extend(Column(i, ROUTING) for i in routing)
        for i in range(min(width, len(head))):
            label = _header_key(head[i])
            if not label or i in routing:
                continue
            for recognizer in self.ordered:
                if not recognizer.typed_by_header(label):
                    continue
                if (
                    recognizer.ENTITY == BANK_ACCOUNT
                    and not _BANK_SPECIFIC.search(label)
                    and not routing
                ):
                    continue
                if _share(body, i, recognizer.cell) >= 0.5:
                    columns.append(Column(i, recognizer.ENTITY, recognizer))
                    break
        return columns

    def _name_columns_by_header(
        self, head: tuple[str, ...], body: Sequence[tuple[str, ...]], width: int, taken: set[int]
    ) -> list[Column]:
        columns = []
        for i in range(min(width, len(head))):
            label = _header_key(head[i])
            if i in taken or not label or _NOT_PERSON.search(label):
                continue
            kind = (
                FIRST_NAME
                if _FIRST.search(label)
                else LAST_NAME
                if _LAST.search(label)
                else FULL_NAME
                if _FULL.search(label)
                else None
            )
            if kind is not None and _share(body, i, _name_shaped) >= 0.5:
                columns.append(Column(i, kind))
        return columns

    def _name_columns_by_sample(self, rows: Sequence[tuple[str, ...]], width: int) -> list[Column]:
        if self.lexicon is None:
            return []
        lexicon = self.lexicon
        return [
            Column(i, FULL_NAME)
            for i in range(width)
            if _share(rows, i, lambda cell: lexicon.looks_like_name(cell) or None) >= 0.6
        ]

    def _untyped_hits(
        self,
        batches: Iterator[tuple[int, Sequence[tuple[str, ...]]]],
        width: int,
        typed: set[int],
        check: Callable[[], None],
    ) -> Iterator[TableHit]:
        """The untyped cells as text, one line per row (cells joined by `` | ``), through the
        text recognizers (``table_lines``); each hit placed back in its row and column, in
        row order. The column of a hit is worked out only for the rows that have one."""
        untyped = [i for i in range(width) if i not in typed]
        if not untyped:
            return

        def lines() -> Iterator[LineBatch]:
            for number, rows in batches:
                check()
                yield number, rows, [_row_line(row, untyped, width) for row in rows]

        for r, row, offset, hit in chunked_hits(
            lines(),
            self.text_hits,
            check,
            chunk_chars=TEXT_CHUNK_CHARS,
            margin_chars=MARGIN_CHARS,
        ):
            yield TableHit(r, _column_at(row, untyped, offset), hit)


def _by_row(hits: Iterator[TableHit]) -> Iterator[RowRecord]:
    """One record per row of ``hits`` (which come in row order)."""
    for r, group in itertools.groupby(hits, key=lambda hit: hit.row):
        yield RowRecord(r, None, tuple(group))


def _row_line(row: tuple[str, ...], untyped: list[int], width: int) -> str:
    """A row's untyped cells as one line: `` | `` between cells, newlines made spaces."""
    if len(untyped) == width:
        line = " | ".join(row if len(row) == width else (*row, *[""] * (width - len(row))))
    else:
        line = " | ".join(row[i] if i < len(row) else "" for i in untyped)
    return line.replace("\n", " ") if "\n" in line else line


def _column_at(row: tuple[str, ...], untyped: list[int], offset: int) -> int:
    """The untyped column whose cell holds ``offset`` of the row's line (``_row_line``)."""
    column, position = untyped[0], 0
    for i in untyped:
        if position > offset:
            break
        column = i
        position += len(row[i] if i < len(row) else "") + 3
    return column


def _row_name(parts: dict[str, str]) -> str | None:
    if FULL_NAME in parts:
        key = normalize_name(parts[FULL_NAME])
    elif FIRST_NAME in parts and LAST_NAME in parts:
        key = normalize_name(f"{parts[FIRST_NAME]} {parts[LAST_NAME]}")
    elif LAST_NAME in parts:
        key = normalize_name(parts[LAST_NAME])
    else:
        return None
    return key or None


def _name_shaped(cell: str) -> str | None:
    return cell if _NAME_SHAPE.fullmatch(cell.strip()) else None


def _share(rows: Sequence[tuple[str, ...]], index: int, check: Callable[[str], object]) -> float:
    cells = [
        row[index].strip() for row in rows[: SAMPLE * 2] if index < len(row) and row[index].strip()
    ]
    cells = cells[:SAMPLE]
    if not cells:
        return 0.0
    return sum(1 for cell in cells if check(cell)) / len(cells)


def _header_shaped(head: tuple[str, ...], body: Sequence[tuple[str, ...]]) -> bool:
    if any(ch.isdigit() for cell in head for ch in cell):
        return False
    return any(ch.isdigit() for row in body[:SAMPLE] for cell in row for ch in cell)


def _batches(
    table: Table, canonical: RowsMap | None, first: int = 0
) -> Iterator[tuple[int, Sequence[tuple[str, ...]]]]:
    """The rows of ``table`` from row ``first`` on, ``CHECK_ROWS`` at a time (``canonical``
    applied), each batch with its first row's number."""
    number = 0
    for batch in table.row_batches(CHECK_ROWS):
        rows = canonical(batch) if canonical is not None else batch
        if number + len(rows) > first:
            yield max(number, first), rows[max(0, first - number) :]
        number += len(rows)


def _rows(table: Table, canonical: RowsMap | None) -> Iterator[tuple[str, ...]]:
    for _, rows in _batches(table, canonical):
        yield from rows


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters

"""The places of a binary workbook (.xlsb) beyond its worksheets' cells, read with pyxlsb2
(a BIFF12 record reader; the one XLMMacroDeobfuscator reads Excel 4.0 macros with): defined
names, Excel 4.0 macro sheets (every cell, a formula as its text), formulas whose cached value
is missing (their string literals, as for .xlsx; a shared or array formula's cells point to
the formula, which is read from its BrtShrFmla or BrtArrFmla record), data validations (list
items and messages, of BrtDVal and of Excel 2010's BrtDVal14 records), every sheet's headers
and footers, and cell comments (``BrtCommentText`` records, which have the layout of a shared
string and are read by pyxlsb2's own record for those). The records pyxlsb2 does not parse
are read by the record classes of ``xlsb_records.py``. The cells of worksheets are
python-calamine's (``excel.py``).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pyxlsb2 import open_workbook
from pyxlsb2 import recordtypes as rt
from pyxlsb2.formula import Formula
from pyxlsb2.recordreader import RecordReader
from pyxlsb2.records import FormulaCellRecord, RowRecord, StringTableItemRecord
from pyxlsb2.worksheet import Worksheet

from piigate.errors import ExtractionError
from piigate.extract.content import Blob, Passage
from piigate.extract.formulas import formula_text, page_text
from piigate.extract.limits import Budget
from piigate.extract.ooxml import Package, cell_text, passage, trim_row, trim_rows
from piigate.extract.tables import table_of
from piigate.extract.xlsb_records import (
    ARRAY_FORMULA,
    HEADER_FOOTER,
    SHARED_FORMULA,
    VALIDATION,
    VALIDATION_14,
    FormulaRangeRecord,
    HeaderFooterRecord,
    ValidationRecord,
    master_row,
)
from piigate.model import Table

_COMMENTS = ("ms-excel.comments", "spreadsheetml.comments+xml")
_FORMULAS = (rt.FMLA_STRING, rt.FMLA_NUM, rt.FMLA_BOOL, rt.FMLA_ERROR)


class _CommentReader(RecordReader):  # type: ignore[misc]
    """pyxlsb2's record reader, reading comment text (BrtCommentText: a flags byte and a
    wide string, as a shared string) besides what it reads already."""

    _records: ClassVar[dict[int, Any]] = {
        **RecordReader._records,
        rt.COMMENT_TEXT: StringTableItemRecord,
    }


class _SheetReader(RecordReader):  # type: ignore[misc]
    """Only rows, formulas, the formulas of shared and array formulas, data validations and
    headers and footers: every other record of a sheet is skipped unread."""

    _records: ClassVar[dict[int, Any]] = {
        rt.ROW_HDR: RowRecord,
        **dict.fromkeys(_FORMULAS, FormulaCellRecord),
        SHARED_FORMULA: FormulaRangeRecord,
        ARRAY_FORMULA: FormulaRangeRecord,
        VALIDATION: ValidationRecord,
        VALIDATION_14: ValidationRecord,
        HEADER_FOOTER: HeaderFooterRecord,
    }


_Shared = dict[int, list[FormulaRangeRecord]]
"""A sheet's shared and array formulas, by the row of the cell each record follows."""


@dataclass(slots=True)
class _Places:
    """What the sheets' records hold, each list one place."""

    formulas: list[str] = field(default_factory=list)
    validations: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)


def binary_places(
    package: Package, blob: Blob, budget: Budget, read: set[str]
) -> tuple[list[Table], list[Passage]]:
    """The sheets calamine did not read (macro sheets; every sheet when it refused the
    workbook), and the places named in the module doc."""
    try:
        with open_workbook(io.BytesIO(blob.data)) as workbook:
            sheets = [s for s in workbook.sheets if s.type in ("worksheet", "macrosheet")]
            unread = [s for s in sheets if s.name not in read]
            places = _Places()
            shared = {s.name: _read_sheet(workbook, package, s, budget, places) for s in sheets}
            tables = [
                _sheet_table(workbook, package, sheet, budget, shared[sheet.name])
                for sheet in unread
            ]
            names = list(_defined_names(workbook))
            comments = list(_comments(package))
    except ExtractionError:
        raise
    except Exception as exc:  # pyxlsb2 raises what its parsing meets
        raise ExtractionError(f"binary workbook records unreadable ({type(exc).__name__})") from exc
    return tables, [
        passage("formulas", places.formulas),
        passage("data validation", places.validations),
        passage("headers and footers", places.headers),
        passage("comments", comments),
        passage("defined names", names),
    ]


def _part(sheet: Any) -> str:
    """The sheet's part (pyxlsb2's own lookup by index assumes every sheet is a worksheet)."""
    location = str(sheet.loc)
    return location.lstrip("/") if location.startswith("/") else f"xl/{location}"


def _sheet_table(
    workbook: Any, package: Package, record: Any, budget: Budget, shared: _Shared
) -> Table:
    """Every cell of a sheet; a formula (on a macro sheet: the macro's code) as ``=text``, a
    shared or array formula's cell as the formula it points to."""
    rows: dict[int, tuple[str, ...]] = {}
    with Worksheet(workbook, record.name, io.BytesIO(package.read(_part(record)))) as sheet:
        for row in sheet.rows():
            budget.check_time()
            cells = {
                cell.col: _cell(workbook, cell, row.num, shared) for cell in row if cell is not None
            }
            width = max(cells, default=-1) + 1
            rows[row.num] = trim_row(cells.get(column, "") for column in range(width))
    height = max(rows, default=-1) + 1
    return table_of(record.name, trim_rows([rows.get(number, ()) for number in range(height)]))


def _cell(workbook: Any, cell: Any, row: int, shared: _Shared) -> str:
    value = cell_text(cell.value) if cell.value is not None else ""
    if not cell.formula:
        return value
    master = master_row(cell.formula)
    tokens = cell.formula if master is None else _shared(shared, row, cell.col, master).tokens
    code = "=" + _render(workbook, tokens)
    return f"{code} {value}".strip()


def _read_sheet(
    workbook: Any, package: Package, sheet: Any, budget: Budget, out: _Places
) -> _Shared:
    """One pass over a sheet's records, into ``out``; returns its shared and array formulas.
    ``Sheet!A1: text``: the string literals of each formula of a macro sheet (its code, which
    has no shown value), and of each string formula of a worksheet saved without its value (a
    program wrote it; Excel saves the value); a cell that points to a shared or array formula
    is read as that formula, once per formula. In cell order."""
    macro = sheet.type == "macrosheet"
    row = 0
    ranges: _Shared = {}
    own: list[tuple[int, int, bytes]] = []  # a cell's row and column, its formula
    pointing: list[tuple[int, int, int]] = []  # a cell's row and column, its formula's row
    for count, (kind, record) in enumerate(_SheetReader(package.read(_part(sheet)))):
        if count % 10_000 == 0:
            budget.check_time()
        if kind == rt.ROW_HDR:
            row = record.r
        elif kind in _FORMULAS:
            if record.f and (macro or (kind == rt.FMLA_STRING and not record.v)):
                master = master_row(record.f)
                if master is None:
                    own.append((row, record.c, record.f))
                else:
                    pointing.append((row, record.c, master))
        elif kind in (SHARED_FORMULA, ARRAY_FORMULA):
            ranges.setdefault(row, []).append(record)  # it follows the cell of its formula
        elif kind in (VALIDATION, VALIDATION_14):
            out.validations.extend(_validation(workbook, record))
        elif kind == HEADER_FOOTER:
            out.headers.extend(page_text(text) for text in record.texts if text.strip())
    for cell_row, column, tokens in sorted([*own, *_pointed(pointing, ranges)]):
        out.formulas.extend(_literals(workbook, sheet.name, cell_row, column, tokens))
    return ranges


def _pointed(
    cells: Iterable[tuple[int, int, int]], shared: _Shared
) -> Iterator[tuple[int, int, bytes]]:
    """The shared or array formula the cells point to, at the first cell of each (its
    literals are the same in every cell; only relative references move)."""
    done: set[int] = set()
    for row, column, master in cells:
        formula = _shared(shared, row, column, master)
        if id(formula) not in done:
            done.add(id(formula))
            yield row, column, formula.tokens


def _shared(shared: _Shared, row: int, column: int, master: int) -> FormulaRangeRecord:
    """The shared or array formula whose record follows row ``master`` and covers the cell."""
    formula = next((f for f in shared.get(master, ()) if f.covers(row, column)), None)
    if formula is None:
        raise ValueError("a cell points to a shared formula the sheet does not hold")
    return formula


def _literals(workbook: Any, sheet: str, row: int, column: int, tokens: bytes) -> Iterator[str]:
    text = formula_text(_render(workbook, tokens))
    if text:
        yield f"{sheet}!{_column(column)}{row + 1}: {text}"


def _validation(workbook: Any, record: ValidationRecord) -> Iterator[str]:
    """A validation's messages, then its formulas as in .xlsx: a list's items (one string
    literal), else the formula's text."""
    yield from (message for message in record.messages if message)
    for tokens in record.formulas:
        if tokens:
            text = _render(workbook, tokens)
            yield formula_text(text) or text


def _render(workbook: Any, tokens: bytes) -> str:
    """A formula's text. pyxlsb2 prints a line to standard output for a reference to another
    workbook or to several sheets, and gives no text for it (None, or a TypeError joining it
    into the rest): the workbook is unscannable, never read without that formula's literals.
    The printed line must not mix into what a command prints (``scan --json`` reads in
    process when isolation is off)."""
    with contextlib.redirect_stdout(io.StringIO()):
        text = Formula.parse(tokens).stringify(workbook)
    if not isinstance(text, str):
        raise ValueError("a formula refers to a range pyxlsb2 cannot name")
    return text


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _defined_names(workbook: Any) -> Iterator[str]:
    for name, record in workbook.defined_names.items():
        formula = str(record.formula or "")
        yield f"{name}: {formula_text(formula) or formula}"


def _comments(package: Package) -> Iterator[str]:
    for part in package.parts(*_COMMENTS):
        if part.endswith(".bin"):
            for kind, record in _CommentReader(package.read(part)):
                if kind == rt.COMMENT_TEXT and record.t:
                    yield str(record.t)

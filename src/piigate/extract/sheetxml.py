"""Cells of SpreadsheetML sheet parts, read from their XML with lxml, for the sheets calamine
does not open: Excel 4.0 macro sheets and dialog sheets (calamine refuses a whole workbook
that has a macro sheet), and every sheet of a workbook calamine refuses.

A cell shows its cached value: a shared string, an inline string, or the number, boolean or
error as written (a date stays its serial number here). Rows keep their number and cells
their column, as with calamine.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from piigate.extract.limits import Budget
from piigate.extract.ooxml import Element, Package, all_text, local, trim_row, trim_rows
from piigate.extract.tables import table_of
from piigate.model import Table

_SHARED_STRINGS = "spreadsheetml.sharedStrings+xml"
_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)


def shared_strings(package: Package) -> list[str]:
    strings: list[str] = []
    for name in package.parts(_SHARED_STRINGS):
        root = package.xml(name)
        strings.extend(_item_text(item) for item in root if local(item) == "si")
    return strings


def _item_text(item: Element) -> str:
    """A string item's text, without its phonetic (``rPh``) runs."""
    return "".join(
        all_text(child) for child in item.iter() if local(child) == "t" and not _in_phonetic(child)
    )


def _in_phonetic(element: Element) -> bool:
    return any(local(ancestor) == "rPh" for ancestor in element.iterancestors())


def sheet_table(
    package: Package, part: str, name: str, strings: list[str], budget: Budget
) -> Table:
    rows: list[tuple[str, ...]] = []
    for number, cells in _rows(package, part, strings, budget):
        while len(rows) < number - 1:
            rows.append(())
        rows.append(trim_row(cells))
    return table_of(name, trim_rows(rows))


def _rows(
    package: Package, part: str, strings: list[str], budget: Budget
) -> Iterator[tuple[int, list[str]]]:
    tags = [f"{{{ns}}}row" for ns in _NAMESPACES]
    with package.archive.open(part) as stream:
        events = etree.iterparse(
            stream, tag=tags, resolve_entities=False, no_network=True, load_dtd=False
        )
        previous = 0
        for count, (_, row) in enumerate(events):
            if count % 10_000 == 0:
                budget.check_time()
            number = _number(row.get("r", ""), previous + 1)
            previous = number
            cells: list[str] = []
            for cell in row:
                if local(cell) == "c":
                    column = _column(cell.get("r", ""), len(cells))
                    cells.extend([""] * (column - len(cells)))
                    cells.append(_value(cell, strings))
            yield number, cells
            row.clear()
            parent = row.getparent()
            while parent is not None and row.getprevious() is not None:
                del parent[0]


def _value(cell: Element, strings: list[str]) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(all_text(e) for e in cell if local(e) == "is")
    value = next((all_text(e) for e in cell if local(e) == "v"), "")
    if kind == "s":
        index = int(value) if value.isdigit() else -1
        return strings[index] if 0 <= index < len(strings) else ""
    return value


def _number(text: str, default: int) -> int:
    return int(text) if text.isdigit() and 0 < int(text) <= 1_048_576 else default


def _column(reference: str, default: int) -> int:
    """``C7`` → 2 (zero-based); a cell without a reference follows the one before it."""
    letters = "".join(ch for ch in reference if ch.isalpha()).upper()
    if not letters or len(letters) > 3:
        return default
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return min(index - 1, 16_383)

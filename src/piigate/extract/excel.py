"""Excel workbooks (.xlsx .xlsm .xltx .xltm, and binary .xlsb): every sheet's cells with
python-calamine (hidden and very hidden sheets too), then the places calamine does not read,
from the package's XML with lxml: cell comments and notes, formulas whose cached value is
missing (their string literals, concatenated when the formula only joins literals), data
validation lists and messages (Excel 2010's ``x14:dataValidation`` too), headers and footers,
defined names, Excel 4.0 macro sheets, chart caches, SmartArt, document properties; embedded
objects go back to the walker.

A .xlsb's other parts are binary records: its macro sheets, formulas without a value, data
validations, headers and footers, defined names and comments are read with pyxlsb2
(``xlsb.py``); README "Extraction" lists what is not.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from lxml import etree
from python_calamine import CalamineError, CalamineWorkbook

from piigate.extract.content import Blob, Content, Passage
from piigate.extract.formulas import formula_text, page_text
from piigate.extract.limits import Budget
from piigate.extract.ooxml import (
    Element,
    Package,
    all_text,
    attribute,
    cell_text,
    drawing_passages,
    embedded_objects,
    local,
    open_package,
    passage,
    properties,
    texts,
    trim_row,
    trim_rows,
)
from piigate.extract.sheetxml import shared_strings, sheet_table
from piigate.extract.tables import table_of
from piigate.extract.xlsb import binary_places
from piigate.model import Table

_SHEETS = (
    "spreadsheetml.worksheet+xml",
    "ms-excel.macrosheet+xml",
    "ms-excel.intlmacrosheet+xml",
    "spreadsheetml.dialogsheet+xml",
)
_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # ISO 29500 strict
)
_WANTED = ("c", "row", "dataValidation", "headerFooter")
_X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
"""Excel 2010's namespace: Excel writes a validation as ``x14:dataValidation`` in the sheet's
``extLst`` when its list or formula refers to another sheet (formulas in ``xm:f``)."""
_TAGS = (
    *(f"{{{ns}}}{name}" for ns in _NAMESPACES for name in _WANTED),
    f"{{{_X14}}}dataValidation",
)
# A formula with text ends in </f> (or </x:f> with a prefix).
_MARKERS = (b"/f>", b":f>", b"dataValidation", b"headerFooter")
_CHUNK = 1024 * 1024


def read_xlsx(blob: Blob, budget: Budget) -> Content:
    """Every sheet's cells (calamine), then the places inside the package it skips."""
    package = open_package(blob, budget)
    binary = package.main().endswith(".bin")
    try:
        tables = _cells(blob, budget)
    except CalamineError:  # e.g. a workbook with an Excel 4.0 macro sheet: read from its parts
        tables = []
    content = Content(tables=tables)
    read = {table.name for table in tables}
    if binary:
        macro_sheets, places = binary_places(package, blob, budget, read)
        content.tables.extend(macro_sheets)
        content.passages.extend((*places, _threaded_comments(package)))
    else:
        content.tables.extend(_xml_sheets(package, budget, read))
        content.passages.extend(_xml_places(package, budget))
    content.passages.extend(drawing_passages(package))
    content.passages.append(properties(package))
    content.children.extend(embedded_objects(package, budget))
    return content


def _cells(blob: Blob, budget: Budget) -> list[Table]:
    """Every worksheet, hidden ones too, with python-calamine (a Rust reader, about three
    times faster than openpyxl's read-only mode on the benchmark); cell positions are kept,
    so a row's number is its line and a column keeps its letter."""
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(blob.data))
    tables = []
    try:
        for name in workbook.sheet_names:
            budget.check_time()
            sheet = workbook.get_sheet_by_name(name)
            indent = ("",) * (sheet.start[1] if sheet.start else 0)
            rows = []
            for index, values in enumerate(sheet.iter_rows()):
                if index % 10_000 == 0:
                    budget.check_time()
                rows.append(trim_row((*indent, *(cell_text(v) for v in values))))
            tables.append(table_of(name, trim_rows(rows)))
    finally:
        workbook.close()
    return tables


def _xml_sheets(package: Package, budget: Budget, read: set[str]) -> Iterator[Table]:
    """The sheets calamine did not read (macro and dialog sheets; every sheet when it
    refused the workbook), from their XML."""
    names = _sheet_names(package)
    strings: list[str] | None = None
    for part in package.parts(*_SHEETS):
        name = names.get(part, part)
        if name in read:
            continue
        strings = shared_strings(package) if strings is None else strings
        yield sheet_table(package, part, name, strings, budget)


def _xml_places(package: Package, budget: Budget) -> Iterator[Passage]:
    names = _sheet_names(package)
    formulas: list[str] = []
    validations: list[str] = []
    headers: list[str] = []
    for part in package.parts(*_SHEETS):
        budget.check_time()
        if _has_markers(package, part):
            sheet = names.get(part, part)
            _scan_sheet(package, part, sheet, budget, (formulas, validations, headers))
    yield passage("formulas", formulas)
    yield passage("data validation", validations)
    yield passage("headers and footers", headers)
    comments = package.parts("spreadsheetml.comments+xml")
    yield passage("comments", (t for n in comments for t in texts(package.xml(n), "comment")))
    yield _threaded_comments(package)
    yield passage("defined names", _defined_names(package.xml(package.main())))


def _threaded_comments(package: Package) -> Passage:
    """Threaded comments (an XML part in .xlsx and .xlsb alike)."""
    threads = package.parts("ms-excel.threadedcomments+xml")
    return passage("comments", (t for n in threads for t in texts(package.xml(n), "text")))


def _sheet_names(package: Package) -> dict[str, str]:
    """Sheet part → the sheet's name, from the workbook and its relationships."""
    main = package.main()
    targets = package.relations(main)
    names = {}
    for sheet in package.xml(main).iter():
        if local(sheet) == "sheet":
            rel = attribute(sheet, "id")
            if rel in targets:
                names[targets[rel]] = sheet.get("name", "")
    return names


def _has_markers(package: Package, part: str) -> bool:
    """Whether a sheet has a formula, a validation or a page header: most have none, and a
    byte scan is far cheaper than parsing every cell."""
    tail = b""
    with package.archive.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            window = tail + chunk
            if any(marker in window for marker in _MARKERS):  # bytes.find: far faster than re
                return True
            tail = chunk[-64:]
    return False


def _scan_sheet(
    package: Package,
    part: str,
    sheet: str,
    budget: Budget,
    out: tuple[list[str], list[str], list[str]],
) -> None:
    formulas, validations, headers = out
    with package.archive.open(part) as stream:
        events = etree.iterparse(
            stream, tag=_TAGS, resolve_entities=False, no_network=True, load_dtd=False
        )
        for count, (_, element) in enumerate(events):
            name = local(element)
            if name == "c":
                value = _missing_value(element)
                if value:
                    formulas.append(f"{sheet}!{element.get('r', '')}: {value}")
            elif name == "dataValidation":
                validations.extend(_validation(element))
            elif name == "headerFooter":
                headers.extend(page_text(str(t)) for t in element.itertext() if t.strip())
            if name in ("row", "dataValidation", "headerFooter"):
                _free(element)
            if count % 10_000 == 0:
                budget.check_time()


def _free(element: Element) -> None:
    """Drop what has been read, so a sheet of a million rows is never held whole."""
    element.clear()
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _missing_value(cell: Element) -> str:
    """A formula cell saved without its value (written by a program, not Excel): the text
    its string literals make."""
    formula = next((c for c in cell if local(c) == "f"), None)
    value = next((c for c in cell if local(c) in ("v", "is")), None)
    if formula is None or not formula.text or (value is not None and all_text(value)):
        return ""
    return formula_text(formula.text)


def _validation(rule: Element) -> Iterator[str]:
    """Its messages and formulas; a formula inside ``mc:AlternateContent`` too (LibreOffice
    writes a list's items there, as ``x12ac:list`` with a ``formula1`` fallback), and an
    Excel 2010 one's (``x14:formula1`` holding an ``xm:f``)."""
    for message in ("promptTitle", "prompt", "errorTitle", "error"):
        if rule.get(message):
            yield str(rule.get(message))
    for element in rule.iter():
        text = all_text(element).strip() if local(element) in ("formula1", "formula2") else ""
        if text:
            yield formula_text(text) or text


def _defined_names(workbook: Element) -> Iterator[str]:
    for element in workbook.iter():
        if local(element) == "definedName" and element.text:
            yield f"{element.get('name', '')}: {formula_text(element.text) or element.text}"

"""Office Open XML: .docx (python-docx), .xlsx (python-calamine), .pptx (python-pptx).

The libraries read the body; the parts they skip (comments, headers and footers, footnotes,
speaker notes) are read as XML text, so nothing a reader of the document could see is
missed. Every sheet is read, hidden ones too. The zip is held to the limits first.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from html import unescape
from xml.etree import ElementTree

import docx
import pptx
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph
from python_calamine import CalamineWorkbook

from piigate.extract.archives import check_zip, open_zip
from piigate.extract.content import Blob, Content
from piigate.extract.limits import Budget
from piigate.extract.media import media_images
from piigate.model import Table

_WORD_EXTRAS = re.compile(r"word/(header|footer|comments|footnotes|endnotes)[^/]*\.xml")
_SHEET_COMMENTS = re.compile(r"xl/(?:[^/]*/)?(?:threaded)?comments?[^/]*\.xml", re.I)
_SHEET_XML = re.compile(r"xl/worksheets/sheet[^/]*\.xml")
_SLIDE_COMMENTS = re.compile(r"ppt/comments/[^/]*\.xml")
_HEADER_FOOTER = re.compile(rb"<(?:\w+:)?headerFooter\b.*?</(?:\w+:)?headerFooter>", re.S)
_TAG = re.compile(rb"<[^>]+>")
_XML_CHUNK = 1024 * 1024


def _checked(blob: Blob, budget: Budget) -> zipfile.ZipFile:
    archive = open_zip(blob.data)
    check_zip(archive, budget)
    return archive


def xml_paragraphs(data: bytes, paragraph: str = "p") -> str:
    """The text of every element named ``paragraph`` (any namespace), one per line."""
    root = ElementTree.fromstring(data)  # noqa: S314  (expat refuses entity expansion bombs)
    lines = [
        "".join(element.itertext())
        for element in root.iter()
        if str(element.tag).rpartition("}")[2] == paragraph
    ]
    return "\n".join(line for line in lines if line.strip())


def _extra_text(archive: zipfile.ZipFile, pattern: re.Pattern[str], paragraph: str = "p") -> str:
    names = sorted(n for n in archive.namelist() if pattern.fullmatch(n))
    return "\n".join(xml_paragraphs(archive.read(name), paragraph) for name in names)


def cell_text(value: object) -> str:
    """A cell value as the spreadsheet shows it: whole numbers without ``.0``, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def trim_row(cells: Iterable[str]) -> tuple[str, ...]:
    row = list(cells)
    while row and not row[-1]:
        row.pop()
    return tuple(row)


def trim_rows(rows: list[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    """Drop trailing empty rows (a row's number is its line, so earlier gaps stay)."""
    while rows and not rows[-1]:
        rows.pop()
    return tuple(rows)


def read_xlsx(blob: Blob, budget: Budget) -> Content:
    """Every worksheet, hidden ones too, with python-calamine (a Rust reader, about three
    times faster than openpyxl's read-only mode on the benchmark); cell positions are kept,
    so a row's number is its line and a column keeps its letter."""
    archive = _checked(blob, budget)
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
            tables.append(Table(name, trim_rows(rows)))
    finally:
        workbook.close()
    extras = [_extra_text(archive, _SHEET_COMMENTS, "text"), *_headers_footers(archive)]
    text = "\n".join(e for e in extras if e)
    return Content(text=text, tables=tables, children=media_images(blob, archive, budget))


def _headers_footers(archive: zipfile.ZipFile) -> Iterator[str]:
    """A sheet's header and footer sit after its cells; find them by streaming the XML."""
    for name in sorted(n for n in archive.namelist() if _SHEET_XML.fullmatch(n)):
        tail = b""
        with archive.open(name) as stream:
            while chunk := stream.read(_XML_CHUNK):
                window = tail + chunk
                found = _HEADER_FOOTER.search(window)
                if found:
                    yield _markup_text(found.group())
                    break
                tail = window[-_XML_CHUNK:]


def _markup_text(fragment: bytes) -> str:
    text = _TAG.sub(b"\n", fragment).decode("utf-8", "replace")
    return "\n".join(line for line in unescape(text).splitlines() if line.strip())


def read_docx(blob: Blob, budget: Budget) -> Content:
    archive = _checked(blob, budget)
    document = docx.Document(io.BytesIO(blob.data))
    lines: list[str] = []
    tables: list[Table] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, DocxTable):
            tables.extend(_docx_tables(block))
    lines.append(_extra_text(archive, _WORD_EXTRAS))
    images = media_images(blob, archive, budget)
    return Content(text="\n".join(lines), tables=tables, children=images)


def _docx_tables(table: DocxTable) -> Iterator[Table]:
    rows = []
    for row in table.rows:
        rows.append(tuple(cell.text for cell in row.cells))
        for cell in row.cells:
            for inner in cell.tables:
                yield from _docx_tables(inner)
    yield Table("", tuple(rows))


def read_pptx(blob: Blob, budget: Budget) -> Content:
    archive = _checked(blob, budget)
    presentation = pptx.Presentation(io.BytesIO(blob.data))
    lines: list[str] = []
    tables: list[Table] = []
    for number, slide in enumerate(presentation.slides, start=1):
        budget.check_time()
        _shapes(slide.shapes, f"slide {number}", lines, tables)
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            lines.append(slide.notes_slide.notes_text_frame.text)
    lines.append(_extra_text(archive, _SLIDE_COMMENTS, "text"))
    images = media_images(blob, archive, budget)
    return Content(text="\n".join(lines), tables=tables, children=images)


def _shapes(shapes: Iterable[object], name: str, lines: list[str], tables: list[Table]) -> None:
    for shape in shapes:
        inner = getattr(shape, "shapes", None)
        if inner is not None:  # a group
            _shapes(inner, name, lines, tables)
        if getattr(shape, "has_text_frame", False):
            lines.append(shape.text_frame.text)  # type: ignore[attr-defined]
        if getattr(shape, "has_table", False):
            rows = shape.table.rows  # type: ignore[attr-defined]
            tables.append(Table(name, tuple(tuple(c.text for c in row.cells) for row in rows)))

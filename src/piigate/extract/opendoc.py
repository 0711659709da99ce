"""OpenDocument (.odt .ods .odp and their templates), read from the package's XML with lxml.

The body's paragraphs and headings are the text (a spreadsheet's sheets are tables); every
other place is a passage named after it: comments (annotations), tracked deletions,
footnotes, endnotes, text boxes and frames, image descriptions, speaker notes, headers and
footers (styles.xml), document properties (meta.xml) and the text of embedded objects
(``Object N/content.xml``: charts, formulas, sheets); OLE objects embedded in the package go
back to the walker as members. A DOCTYPE naming an external DTD (``math.dtd``) is never
fetched or loaded, and a manifest that lists a missing member (``Thumbnails/``) does not
matter: only the parts read here are opened.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator

from piigate.extract.archives import check_zip, open_zip
from piigate.extract.content import Blob, Content, Passage
from piigate.extract.limits import Budget
from piigate.extract.media import media_images
from piigate.extract.ooxml import (
    Element,
    attribute,
    detach,
    local,
    parse_xml,
    passage,
    trim_row,
    trim_rows,
)
from piigate.extract.tables import table_of
from piigate.model import Grade, Table

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_MAX_REPEAT = 1000  # empty filler cells are repeated thousands of times; values rarely are
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
_PLACES = {
    # element taken out of the body (innermost first) → its place
    f"{{{_TEXT}}}tracked-changes": "tracked deletions",
    "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}annotation": "comments",
    f"{{{_TEXT}}}note": "notes",
    "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}text-box": "text boxes",
    f"{{{_SVG}}}title": "image descriptions",
    f"{{{_SVG}}}desc": "image descriptions",
    "{urn:oasis:names:tc:opendocument:xmlns:presentation:1.0}notes": "speaker notes",
}
_NOTE_CLASS = f"{{{_TEXT}}}note-class"
_HEADERS = {"header": "headers", "header-left": "headers", "header-first": "headers"}
_FOOTERS = {"footer": "footers", "footer-left": "footers", "footer-first": "footers"}
_EMBEDDED = re.compile(r"Object \d+/content\.xml")
_EMBEDDED_OLE = re.compile(r"Object \d+")
_PARAGRAPHS = frozenset({"p", "h"})


def read_odf(blob: Blob, budget: Budget) -> Content:
    archive = open_zip(blob.data)
    check_zip(archive, budget)
    protection = _encryption(archive)
    if protection is not None:
        return Content(grade=protection, inspected=False)
    root = parse_xml(_member(archive, "content.xml"))
    places: dict[str, list[str]] = {}
    _take_places(root, places)
    content = Content()
    body = next((e for e in root.iter() if local(e) == "body"), root)
    if any(local(e) == "spreadsheet" for e in body):
        content.tables = [_sheet(t, budget) for t in body.iter(f"{{{_TABLE}}}table")]
    else:
        content.text = "\n".join(_paragraph_lines(body))
    content.passages.extend(passage(place, lines) for place, lines in places.items())
    content.passages.extend(_styles(archive))
    content.passages.append(_properties(archive))
    content.passages.append(_embedded_text(archive, budget))
    content.children.extend(_embedded_objects(blob, archive, budget))
    content.children.extend(media_images(blob, archive, budget))
    return content


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        return b""


def _take_places(root: Element, places: dict[str, list[str]]) -> None:
    """Move each comment, tracked change, note, text box ... out of the tree into its place,
    innermost first, so no text is read twice."""
    found = [e for e in root.iter() if e.tag in _PLACES]
    for element in reversed(found):
        place = _PLACES[str(element.tag)]
        held = element
        if place == "notes":
            place = "endnotes" if element.get(_NOTE_CLASS) == "endnote" else "footnotes"
            held = next((c for c in element if local(c) == "note-body"), element)
        lines = list(_paragraph_lines(held)) or [odf_text(held)]
        places.setdefault(place, []).extend(lines)
        detach(element)


def _paragraph_lines(root: Element) -> Iterator[str]:
    for element in root.iter():
        if local(element) in _PARAGRAPHS:
            line = odf_text(element)
            if line.strip():
                yield line


def odf_text(element: Element) -> str:
    """A paragraph's text as shown: ``text:s`` spaces, tabs and line breaks included."""
    parts: list[str] = []
    _walk(element, parts)
    return "".join(parts)


def _walk(element: Element, parts: list[str]) -> None:
    name = local(element)
    if name == "s":
        parts.append(" " * min(_number(element.get(f"{{{_TEXT}}}c", "1")), 100))
    elif name == "tab":
        parts.append("\t")
    elif name == "line-break":
        parts.append("\n")
    elif element.text:
        parts.append(element.text)
    for child in element:
        _walk(child, parts)
        if child.tail:
            parts.append(child.tail)


def _styles(archive: zipfile.ZipFile) -> Iterator[Passage]:
    """Headers and footers of every master page (styles.xml)."""
    data = _member(archive, "styles.xml")
    headers: list[str] = []
    footers: list[str] = []
    if data:
        for element in parse_xml(data).iter():
            name = local(element)
            if name in _HEADERS or name in _FOOTERS:
                (headers if name in _HEADERS else footers).extend(_paragraph_lines(element))
    yield passage("headers", headers)
    yield passage("footers", footers)


def _properties(archive: zipfile.ZipFile) -> Passage:
    data = _member(archive, "meta.xml")
    lines = []
    if data:
        for element in parse_xml(data).iter():
            text = (element.text or "").strip()
            if text and len(element) == 0:
                label = attribute(element, "name")
                lines.append(f"{label or local(element)}: {text}")
    return passage("properties", lines)


def _embedded_text(archive: zipfile.ZipFile, budget: Budget) -> Passage:
    """The text of embedded sub-documents (charts, formulas, sheets): ``Object N/``."""
    lines: list[str] = []
    for name in archive.namelist():
        if _EMBEDDED.fullmatch(name):
            budget.check_time()
            root = parse_xml(archive.read(name))
            lines.extend(_paragraph_lines(root))
            if local(root) == "math" or any(local(e) == "math" for e in root):
                lines.append(" ".join(str(t) for t in root.itertext() if t.strip()))
    return passage("embedded objects", lines)


def _embedded_objects(blob: Blob, archive: zipfile.ZipFile, budget: Budget) -> Iterator[Blob]:
    """Binary objects in the package (OLE objects: ``Object N`` files) for the walker."""
    for info in archive.infolist():
        if _EMBEDDED_OLE.fullmatch(info.filename):
            budget.check_time()
            budget.take_member()
            yield blob.child(info.filename, archive.read(info))


def _encryption(archive: zipfile.ZipFile) -> Grade | None:
    """A password-protected OpenDocument file lists its encrypted members in the manifest:
    AES-256 (ODF 1.2, PBKDF2) is strong, Blowfish (ODF 1.0/1.1) weak. No maintained library
    decrypts them, so they are graded, not opened."""
    manifest = _member(archive, "META-INF/manifest.xml")
    if b"encryption-data" not in manifest:
        return None
    return Grade.ENCRYPTED_STRONG if b"aes256" in manifest.lower() else Grade.ENCRYPTED_WEAK


def _sheet(sheet: Element, budget: Budget) -> Table:
    rows: list[tuple[str, ...]] = []
    for row in sheet.iter(f"{{{_TABLE}}}table-row"):
        budget.check_time()
        cells: list[str] = []
        for cell in row:
            if local(cell) not in ("table-cell", "covered-table-cell"):
                continue
            text = "\n".join(odf_text(p) for p in cell if local(p) == "p")
            repeat = _repeat(cell, "number-columns-repeated")
            cells.extend([text] * min(repeat, _MAX_REPEAT if text else 1))
        repeat_rows = _repeat(row, "number-rows-repeated")
        rows.extend([trim_row(cells)] * min(repeat_rows, _MAX_REPEAT if any(cells) else 1))
    return table_of(str(sheet.get(f"{{{_TABLE}}}name", "")), trim_rows(rows))


def _repeat(element: Element, attribute: str) -> int:
    return _number(element.get(f"{{{_TABLE}}}{attribute}", "1"))


def _number(value: str) -> int:
    """A positive count from an attribute; 1 when it is missing or not a small number."""
    return int(value) if value.isdigit() and 0 < len(value) < 10 and int(value) > 0 else 1

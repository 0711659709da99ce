"""OpenDocument (.odt .ods .odp): text of every paragraph and heading, spreadsheets as tables
(odfpy). Comments (annotations) are read with the text."""

from __future__ import annotations

import io
import zipfile

from odf import opendocument, teletype
from odf.element import Element
from odf.office import Annotation
from odf.table import Table as OdfTable
from odf.table import TableCell, TableRow
from odf.text import H, P

from piigate.extract.archives import check_zip, open_zip
from piigate.extract.content import Blob, Content
from piigate.extract.limits import Budget
from piigate.extract.media import media_images
from piigate.extract.ooxml import trim_row, trim_rows
from piigate.model import Grade, Table

_PARAGRAPH = P().qname
_MAX_REPEAT = 1000  # empty filler cells are repeated thousands of times; values rarely are


def read_odf(blob: Blob, budget: Budget) -> Content:
    archive = open_zip(blob.data)
    check_zip(archive, budget)
    protection = _encryption(archive)
    if protection is not None:
        return Content(grade=protection, inspected=False)
    document = opendocument.load(io.BytesIO(blob.data))
    if "spreadsheet" in document.mimetype:
        tables = [_sheet(sheet, budget) for sheet in document.getElementsByType(OdfTable)]
        notes = [teletype.extractText(a) for a in document.getElementsByType(Annotation)]
        return Content(text="\n".join(notes), tables=tables)
    lines = [teletype.extractText(e) for e in document.getElementsByType(P)]
    lines += [teletype.extractText(e) for e in document.getElementsByType(H)]
    text = "\n".join(line for line in lines if line.strip())
    return Content(text=text, children=media_images(blob, archive, budget))


def _encryption(archive: zipfile.ZipFile) -> Grade | None:
    """A password-protected OpenDocument file lists its encrypted members in the manifest:
    AES-256 (ODF 1.2, PBKDF2) is strong, Blowfish (ODF 1.0/1.1) weak. No maintained library
    decrypts them, so they are graded, not opened."""
    try:
        manifest = archive.read("META-INF/manifest.xml")
    except KeyError:
        return None
    if b"encryption-data" not in manifest:
        return None
    return Grade.ENCRYPTED_STRONG if b"aes256" in manifest.lower() else Grade.ENCRYPTED_WEAK


def _sheet(sheet: Element, budget: Budget) -> Table:
    rows: list[tuple[str, ...]] = []
    for row in sheet.getElementsByType(TableRow):
        budget.check_time()
        cells: list[str] = []
        for cell in row.getElementsByType(TableCell):
            paragraphs = [p for p in cell.childNodes if p.qname == _PARAGRAPH]
            text = "\n".join(teletype.extractText(p) for p in paragraphs)
            repeat = int(cell.attributes.get((cell.qname[0], "number-columns-repeated"), 1))
            cells.extend([text] * min(repeat, _MAX_REPEAT if text else 1))
        repeat_rows = int(row.attributes.get((row.qname[0], "number-rows-repeated"), 1))
        rows.extend([trim_row(cells)] * min(repeat_rows, _MAX_REPEAT if any(cells) else 1))
    return Table(str(sheet.getAttribute("name") or ""), trim_rows(rows))

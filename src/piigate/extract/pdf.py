"""PDF: the text of every page (pypdfium2, PDFium's C++ text layer), what the document holds
besides (form values, annotations, metadata, bookmarks, attached files: ``pdf_parts``, with
pypdf), and the grade of its encryption (pypdf reads the /Encrypt dictionary and checks
passwords).

No reader state carries from one document to the next. PDFium keeps its last error in one
process-wide variable and sets it only when a load fails; pypdfium2's ``PdfDocument`` also
reads it when a document *loads* but has no pages, so an empty-page-tree PDF read after an
encrypted one was taken for encrypted (and graded, not read). Documents are therefore loaded
through PDFium's own call here, and its error is read only when that call failed.

The cut: AES-256 (security handler revision 5 or 6, /V 5) is strong; RC4 of any key length
and AES-128 (/V 4 with /AESV2, revision 4, MD5 key derivation) are weak. A PDF whose user
password is empty opens for anyone: it is read as plain text.
"""

from __future__ import annotations

import dataclasses
import io

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PasswordType, PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import DictionaryObject

from piigate.errors import ExtractionError, LimitExceeded
from piigate.extract.content import Blob, Content, Lock
from piigate.extract.limits import Budget
from piigate.extract.pdf_parts import read_parts
from piigate.extract.pdf_revisions import earlier_revisions
from piigate.model import Defect, Grade

_PDF_ERRORS = (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, OSError)
_PDFIUM_PASSWORD_ERROR = 4  # FPDF_ERR_PASSWORD


def read_pdf(blob: Blob, budget: Budget) -> Content:
    try:
        document = load_document(blob.data, None)
    except pdfium.PdfiumError as exc:
        if exc.err_code != _PDFIUM_PASSWORD_ERROR:
            blob, document = _repaired(blob, exc)
        else:
            return _locked(blob, budget)
    reader = _structure_reader(blob.data, "") or _repaired_reader(document)
    content = _pdf_text(blob, document, budget)  # closes the document
    _add_parts(content, blob, reader, budget)
    revisions = earlier_revisions(
        blob.data, content.text, budget, lambda prefix: _revision_text(prefix, budget)
    )
    content.passages.extend(revisions)
    return content


def _repaired(blob: Blob, failure: pdfium.PdfiumError) -> tuple[Blob, pdfium.PdfDocument]:
    """A PDF PDFium refuses, rewritten by qpdf (pikepdf), which rebuilds a damaged file's
    cross-reference table and objects as Acrobat does when it opens one (a missing
    ``endobj``, wrong offsets); the rewrite is what is read. A file qpdf cannot repair
    either, or one PDFium still refuses, is broken: unreadable."""
    broken = ExtractionError(f"broken PDF (PDFium error {failure.err_code})")
    try:
        with pikepdf.open(io.BytesIO(blob.data)) as damaged:
            rewritten = io.BytesIO()
            damaged.save(rewritten)
    except (pikepdf.PdfError, pikepdf.PasswordError, ValueError, OSError) as exc:
        raise broken from exc
    repaired = dataclasses.replace(blob, data=rewritten.getvalue())
    try:
        return repaired, load_document(repaired.data, None)
    except pdfium.PdfiumError as exc:
        raise broken from exc


def _revision_text(data: bytes, budget: Budget) -> str | None:
    """The page text of one earlier revision (the file cut after its ``%%EOF``)."""
    try:
        document = load_document(data, None)
    except pdfium.PdfiumError:
        return None
    return _pdf_text(Blob("", data), document, budget).text


def load_document(data: bytes, password: str | None) -> pdfium.PdfDocument:
    """Open ``data`` with PDFium; raises PdfiumError with the error of *this* load. ``data``
    must outlive the document (PDFium reads it in place)."""
    secret = None if password is None else (password + "\x00").encode("utf-8")
    handle = pdfium_c.FPDF_LoadMemDocument64(data, len(data), secret)
    if not handle:
        code = int(pdfium_c.FPDF_GetLastError())
        raise pdfium.PdfiumError(f"cannot load PDF (PDFium error {code})", err_code=code)
    return pdfium.PdfDocument(handle)


def _structure_reader(data: bytes, password: str) -> PdfReader | None:
    """pypdf's view of the same document (for forms, annotations, files), or None when pypdf
    cannot parse what PDFium could."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not _decrypts(reader, password):
            return None
    except (*_PDF_ERRORS, RecursionError):
        return None
    return reader


def _repaired_reader(document: pdfium.PdfDocument) -> PdfReader | None:
    """pypdf's view of the document as PDFium writes it back, for a file PDFium repairs on
    loading (as Acrobat does) but pypdf cannot parse: one with no cross-reference table or
    ``startxref``, such as pdfminer's sample files. None when that fails too."""
    rewritten = io.BytesIO()
    try:
        document.save(rewritten)
    except pdfium.PdfiumError:
        return None
    return _structure_reader(rewritten.getvalue(), "")


def _add_parts(content: Content, blob: Blob, reader: PdfReader | None, budget: Budget) -> None:
    """Add the document's forms, annotations, metadata, bookmarks and files to ``content``;
    when they cannot be read, a blocking Defect says so (the page text was read)."""
    try:
        if reader is None:
            raise ExtractionError("no document structure")
        parts = read_parts(blob, reader, budget)
    except LimitExceeded:
        raise
    except (ExtractionError, *_PDF_ERRORS, RecursionError) as exc:
        reason = f"PDF forms, annotations and attached files unreadable ({type(exc).__name__})"
        content.defects.append(Defect(blob.where, reason))
        return
    content.passages.extend(parts.passages)
    content.children.extend(parts.children)
    content.defects.extend(parts.defects)


def _locked(blob: Blob, budget: Budget) -> Content:
    try:
        reader = PdfReader(io.BytesIO(blob.data), strict=False)
        grade, method = _pdf_grade(reader)
    except (*_PDF_ERRORS, RecursionError) as exc:
        raise ExtractionError(
            f"encrypted PDF whose encryption cannot be read ({type(exc).__name__})"
        ) from exc

    def try_password(password: str) -> Content | None:
        if not password or not _decrypts(reader, password):
            return None
        try:
            document = load_document(blob.data, password)
        except pdfium.PdfiumError:
            return None
        content = _pdf_text(blob, document, budget)
        _add_parts(content, blob, reader, budget)
        return content

    return Content(lock=Lock(grade, method, try_password))


def _decrypts(reader: PdfReader, password: str) -> bool:
    try:
        return reader.decrypt(password) is not PasswordType.NOT_DECRYPTED
    except _PDF_ERRORS:
        return False


def _pdf_grade(reader: PdfReader) -> tuple[Grade, str]:
    encrypt = reader.trailer["/Encrypt"].get_object()
    if not isinstance(encrypt, DictionaryObject):
        raise ExtractionError("encrypted PDF without an encryption dictionary")
    version = int(encrypt.get("/V", 0))
    if version >= 5:
        return Grade.ENCRYPTED_STRONG, "pdf AES-256"
    filters = encrypt.get("/CF", {})
    standard = filters.get("/StdCF", {}) if hasattr(filters, "get") else {}
    if version == 4 and str(standard.get("/CFM", "")) == "/AESV2":
        return Grade.ENCRYPTED_WEAK, "pdf AES-128"
    bits = int(encrypt.get("/Length", 40))
    return Grade.ENCRYPTED_WEAK, f"pdf RC4-{bits}"


def _pdf_text(blob: Blob, document: pdfium.PdfDocument, budget: Budget) -> Content:
    content = Content()
    pages = []
    try:
        for number in range(len(document)):
            budget.check_time()
            try:
                page = document[number]
                text_page = page.get_textpage()
                text = text_page.get_text_range()
                text_page.close()
                content.children.extend(scanned_page(blob, page, number + 1, text))
                page.close()
            except pdfium.PdfiumError as exc:
                reason = f"PDF page {number + 1} unreadable (PDFium error {exc.err_code})"
                content.defects.append(Defect(blob.where, reason))
                continue
            budget.take_bytes(len(text))
            pages.append(text.replace("\r\n", "\n"))
    finally:
        document.close()
    content.text = "\n".join(pages)
    return content


SCAN_RENDER_DPI = 200
"""A page read as a scan is rendered at this resolution (the OCR engine's sweet spot for
body type), in grey, and handed back to the walker as an image."""
SCAN_MAX_PIXELS = 40_000_000
"""A huge page is rendered at a lower resolution, so that it stays under this."""
NO_TEXT_LAYER_CHARS = 32
LITTLE_TEXT_CHARS = 400
IMAGE_COVER = 0.5


def scanned_page(blob: Blob, page: pdfium.PdfPage, number: int, text: str) -> list[Blob]:
    """The page as an image for OCR when it is a scan: no text layer, or a little text (a fax
    header, a page number) over images covering most of the page. The image is a child with
    no name of its own (not an attachment), placed ``attachment scan.pdf, page 3``."""
    chars = len(text.strip())
    if chars >= LITTLE_TEXT_CHARS or (chars >= NO_TEXT_LAYER_CHARS and not _mostly_image(page)):
        return []
    width, height = page.get_size()
    scale = min(SCAN_RENDER_DPI / 72, (SCAN_MAX_PIXELS / max(width * height, 1)) ** 0.5)
    image = page.render(scale=scale, grayscale=True).to_pil()
    out = io.BytesIO()
    image.save(out, "BMP")  # uncompressed: the fastest to write and to read back
    return [
        Blob(
            "",
            out.getvalue(),
            "image/bmp",
            depth=blob.depth + 1,
            grade=blob.grade,
            where_label=f"{blob.where}, page {number}",
        )
    ]


def _mostly_image(page: pdfium.PdfPage) -> bool:
    width, height = page.get_size()
    covered = 0.0
    for item in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, bottom, right, top = item.get_bounds()
        covered += max(0.0, right - left) * max(0.0, top - bottom)
    return bool(covered >= IMAGE_COVER * width * height)

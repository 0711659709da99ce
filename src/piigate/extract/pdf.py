"""PDF text, every page (pypdf), and the grade of its encryption.

The cut: AES-256 (security handler revision 5 or 6, /V 5) is strong; RC4 of any key length
and AES-128 (/V 4 with /AESV2, revision 4, MD5 key derivation) are weak. A PDF whose user
password is empty opens for anyone: it is read as plain text.
"""

from __future__ import annotations

import io

from pypdf import PasswordType, PdfReader
from pypdf.errors import PyPdfError

from piigate.errors import ExtractionError
from piigate.extract.content import Blob, Content, Lock
from piigate.extract.limits import Budget
from piigate.model import Defect, Grade

_PDF_ERRORS = (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, OSError)


def read_pdf(blob: Blob, budget: Budget) -> Content:
    try:
        reader = PdfReader(io.BytesIO(blob.data), strict=False)
        encrypted = reader.is_encrypted
    except (*_PDF_ERRORS, RecursionError) as exc:
        raise ExtractionError(f"broken PDF ({type(exc).__name__})") from exc
    if not encrypted:
        return _pdf_text(blob, reader, budget)
    grade, method = _pdf_grade(reader)
    if _decrypts(reader, ""):
        return _pdf_text(blob, reader, budget)

    def try_password(password: str) -> Content | None:
        attempt = PdfReader(io.BytesIO(blob.data), strict=False)
        if not _decrypts(attempt, password):
            return None
        return _pdf_text(blob, attempt, budget)

    return Content(lock=Lock(grade, method, try_password))


def _decrypts(reader: PdfReader, password: str) -> bool:
    try:
        return reader.decrypt(password) is not PasswordType.NOT_DECRYPTED
    except _PDF_ERRORS:
        return False


def _pdf_grade(reader: PdfReader) -> tuple[Grade, str]:
    encrypt = reader.trailer.get("/Encrypt")
    encrypt = encrypt.get_object() if encrypt is not None else {}
    version = int(encrypt.get("/V", 0))
    if version >= 5:
        return Grade.ENCRYPTED_STRONG, "pdf AES-256"
    filters = encrypt.get("/CF", {})
    standard = filters.get("/StdCF", {}) if hasattr(filters, "get") else {}
    if version == 4 and str(standard.get("/CFM", "")) == "/AESV2":
        return Grade.ENCRYPTED_WEAK, "pdf AES-128"
    bits = int(encrypt.get("/Length", 40))
    return Grade.ENCRYPTED_WEAK, f"pdf RC4-{bits}"


def _pdf_text(blob: Blob, reader: PdfReader, budget: Budget) -> Content:
    content = Content()
    pages = []
    try:
        count = len(reader.pages)
    except (*_PDF_ERRORS, RecursionError) as exc:
        raise ExtractionError(f"broken PDF page tree ({type(exc).__name__})") from exc
    for number in range(count):
        budget.check_time()
        try:
            text = reader.pages[number].extract_text()
        except (*_PDF_ERRORS, RecursionError, ZeroDivisionError) as exc:
            content.defects.append(
                Defect(blob.where, f"PDF page {number + 1} unreadable ({type(exc).__name__})")
            )
            continue
        budget.take_bytes(len(text))
        pages.append(text)
    content.text = "\n".join(pages)
    return content

"""A damaged PDF that PDFium refuses but qpdf repairs (as Acrobat opens it) is read from qpdf's
rewrite, not called unreadable; one qpdf cannot repair either stays unreadable (blocking)."""

from __future__ import annotations

import random

import pypdfium2 as pdfium
import pytest

from piigate.config import ExtractionSettings
from piigate.errors import ExtractionError
from piigate.extract.content import Blob
from piigate.extract.limits import Budget
from piigate.extract.pdf import read_pdf
from tests.synthetic import ssn


def _pdf(text: str, *, damaged: bool = False) -> bytes:
    """A one-page PDF with ``text`` on its page, written object by object with a correct
    cross-reference table; ``damaged``: a stray token between ``trailer`` and its dictionary
    (qpdf's test file bad7.pdf is damaged this way)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += (
        b"trailer 3\n" if damaged else b"trailer\n"
    ) + b"<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_a_pdf_pdfium_refuses_is_read_from_qpdfs_repair() -> None:
    number = ssn(random.Random(81))
    damaged = _pdf(f"Employee SSN {number}", damaged=True)
    with pytest.raises(pdfium.PdfiumError):
        pdfium.PdfDocument(damaged)  # the damage is one PDFium does not get past
    content = read_pdf(Blob("form.pdf", damaged), Budget(ExtractionSettings()))
    assert number in content.text
    intact = read_pdf(
        Blob("form.pdf", _pdf(f"Employee SSN {number}")), Budget(ExtractionSettings())
    )
    assert intact.text == content.text


def test_a_pdf_qpdf_cannot_repair_stays_unreadable() -> None:
    with pytest.raises(ExtractionError, match="broken PDF"):
        read_pdf(
            Blob("form.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 4), Budget(ExtractionSettings())
        )

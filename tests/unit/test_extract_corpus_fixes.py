"""Files the real-world corpus (bench/corpus_real.py) showed as unreadable though the programs
people use open them: short Windows-1252 text inside a TNEF, a TNEF attachment held as an
object (an attached Outlook message, its interface identifier first), an Excel 4.0 (BIFF4)
workbook outside an OLE2 file, a PDF without a cross-reference table, Korean text in a
legacy code page that charset detection does not name, and a zip after leading bytes. Each
is read."""

from __future__ import annotations

import io
import random
import struct
import zipfile

import pytest

from piigate.config import DetectionSettings
from piigate.detect import Detector
from tests import embedded_formats, formats
from tests.synthetic import ssn
from tests.unit.test_extract_office import scan

IID_IMESSAGE = bytes.fromhex("0b0d020000000000c000000000000046")


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionSettings(spacy_model=None))


def tnef_with_object(body: str, name: str, stored: bytes) -> bytes:
    """A TNEF stream whose one attachment is held in PR_ATTACH_DATA_OBJ (PtypObject, in the
    attachment's attAttachment MAPI properties), the way Outlook sends an attached message."""
    stream = formats.tnef(body, {})
    padded = stored + bytes(-len(stored) % 4)
    props = struct.pack("<I", 1) + struct.pack("<HH", 0x000D, 0x3701)
    props += struct.pack("<II", 1, len(stored)) + padded

    def attribute(ident: int, kind: int, data: bytes) -> bytes:
        head = struct.pack("<BHHI", 2, ident, kind, len(data))
        return head + data + struct.pack("<H", sum(data) & 0xFFFF)

    stream += attribute(0x9002, 0x0006, struct.pack("<I", 1))  # attAttachRenddata
    stream += attribute(0x8010, 0x0001, name.encode("cp1252") + b"\x00")  # attAttachTitle
    return stream + attribute(0x9005, 0x0006, props)  # attAttachment


def test_short_windows_1252_text_in_a_tnef_is_read(detector: Detector) -> None:
    """A short text attachment in Windows-1252 without digits (too little for charset
    detection, like tnefparse's umlaut.tnef) inside a winmail.dat is read as text, not
    refused as unreadable content."""
    winmail = formats.tnef("Body.", {"Anhang-äöü.txt": "TEST äöü +-*/~".encode("cp1252")})
    extraction, found = scan(detector, "winmail.dat", winmail)
    texts = {segment.where: segment.text for segment in extraction.segments}
    assert extraction.unscannable == ()
    assert "TEST" in texts["attachment winmail.dat/Anhang-äöü.txt"]
    assert found == {}


def test_a_tnef_attachment_held_as_an_object_is_opened(detector: Detector) -> None:
    """An attached Outlook message in a TNEF's PR_ATTACH_DATA_OBJ, after its 16-byte
    interface identifier, is read as the .msg it is."""
    value = ssn(random.Random(52))
    inner = formats.outlook_msg("Case", f"Applicant SSN {value}", {})
    winmail = tnef_with_object("See the forward.", "Forwarded", IID_IMESSAGE + inner)
    extraction, found = scan(detector, "winmail.dat", winmail)
    assert extraction.unscannable == ()
    assert found == {"attachment winmail.dat/Forwarded": {"***-**-" + value[-4:]}}


def biff4_sheet(text: str) -> bytes:
    """An Excel 4.0 worksheet (BIFF4, a bare record stream: no library writes one, so these
    lines follow the format's records): BOF, one LABEL cell, EOF."""

    def record(ident: int, data: bytes) -> bytes:
        return struct.pack("<HH", ident, len(data)) + data

    label = struct.pack("<HHHH", 0, 0, 0, len(text)) + text.encode("cp1252")
    bof = struct.pack("<HHH", 0, 0x0010, 0)
    return record(0x0409, bof) + record(0x0204, label) + record(0x000A, b"")


def test_an_excel_4_workbook_outside_ole2_is_read(detector: Detector) -> None:
    """A BIFF4 worksheet (xlrd's test suite has one; Excel and LibreOffice open them) is read
    as a sheet, not refused as unknown content."""
    value = ssn(random.Random(53))
    extraction, found = scan(detector, "old.xls", biff4_sheet(f"SSN {value}"))
    assert extraction.unscannable == ()
    assert found == {"attachment old.xls sheet Sheet 1": {"***-**-" + value[-4:]}}


def without_cross_references(pdf: bytes) -> bytes:
    """``pdf`` with its cross-reference table and ``startxref`` cut out, leaving the trailer
    (as pdfminer's sample files are): Acrobat and PDFium rebuild the table, pypdf cannot."""
    table = pdf.rindex(b"\nxref\n") + 1
    trailer = pdf.index(b"trailer", table)
    end = pdf.index(b"startxref", trailer)
    return pdf[:table] + pdf[trailer:end] + b"%%EOF\n"


def test_a_pdf_without_cross_reference_table_has_its_annotations_read(
    detector: Detector,
) -> None:
    """A PDF with no cross-reference table, which pypdf cannot parse but PDFium repairs, has
    its comment read from PDFium's rewrite of it: not unscannable."""
    value = ssn(random.Random(54))
    pdf = without_cross_references(embedded_formats.pdf_annotated(comment=f"SSN {value}"))
    extraction, found = scan(detector, "notes.pdf", pdf)
    assert extraction.unscannable == ()
    assert found == {"attachment notes.pdf annotations": {"***-**-" + value[-4:]}}


@pytest.mark.parametrize("codec", ["cp949", "johab"])
def test_korean_text_in_a_legacy_code_page_is_read(detector: Detector, codec: str) -> None:
    """Short Korean text in UHC (cp949, Windows' Korean code page) or Johab, with syllables
    outside EUC-KR (the line of Python's own cjkencodings samples): charset detection names
    no charset, yet the bytes are text. It is read, and the SSN in it is found."""
    value = ssn(random.Random(55))
    text = f"똠방각하 펲시콜라\n\n㉯㉯납!! 因九月패믤릔궈 ⓡⓖ훀¿¿¿ 긍뒙 ⓔ뎨 ㉯.\nSSN {value}\n"
    extraction, found = scan(detector, "memo.txt", text.encode(codec))
    assert extraction.unscannable == ()
    assert found == {"attachment memo.txt": {"***-**-" + value[-4:]}}


def test_a_zip_after_leading_bytes_is_read(detector: Detector) -> None:
    """A zip preceded by other bytes (the zip crate's zip64_demo.zip starts with a line of
    junk; self-extractors start with a program): zipfile, 7-Zip and Info-ZIP find it from
    its end record, so it is read as a zip, not refused as unknown content."""
    value = ssn(random.Random(56))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("intake.txt", f"Applicant SSN {value}")
    extraction, found = scan(detector, "case.zip", b"\x00\x01 stub \x02\x03\n" + out.getvalue())
    assert extraction.unscannable == ()
    assert found == {"attachment case.zip/intake.txt": {"***-**-" + value[-4:]}}


def test_a_code_page_table_with_unmapped_sequences_is_read(detector: Detector) -> None:
    """Text in a code page with byte pairs it does not map (encoding_rs's Big5 and Shift_JIS
    tables, which test decoders' replacement): no control bytes, so it is text, as file(1)
    and any text editor take it; the SSN in its ASCII is found."""
    value = ssn(random.Random(57))
    table = "".join(chr(0x4E00 + n * 37) for n in range(60)).encode("big5", errors="ignore")
    data = table + b"\x81\x30\xfe\x7f" + table + f"\nSSN {value}\n".encode()
    extraction, found = scan(detector, "table.txt", data)
    assert extraction.unscannable == ()
    assert found == {"attachment table.txt": {"***-**-" + value[-4:]}}

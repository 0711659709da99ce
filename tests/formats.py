"""Real files in every format extraction reads, written by the library that writes the format
(or, where no maintained writer exists, by the few lines of the format's specification here).
Shared by the extraction tests and bench/bench_extract.py."""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Sequence
from email.message import EmailMessage

Rows = Sequence[Sequence[object]]


def xlsx(
    sheets: dict[str, Rows], hidden: Sequence[str] = (), comment: str = "", header: str = ""
) -> bytes:
    """A workbook with ``sheets`` (name → rows); ``hidden`` sheets hidden; a cell comment and a
    page header on the first sheet."""
    import openpyxl
    from openpyxl.comments import Comment

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        if name in hidden:
            sheet.sheet_state = "hidden"
    first = book.worksheets[0]
    if comment:
        first["H1"].comment = Comment(comment, "tester")
    if header:
        first.oddHeader.center.text = header
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def docx(
    paragraphs: Sequence[str],
    table: Rows = (),
    header: str = "",
    footer: str = "",
    comment: str = "",
) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    for text in paragraphs:
        paragraph = document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = str(value)
    section = document.sections[0]
    if header:
        section.header.paragraphs[0].text = header
    if footer:
        section.footer.paragraphs[0].text = footer
    if comment:
        document.add_comment(paragraph.runs, text=comment, author="tester")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pptx(title: str, table: Rows = (), notes: str = "") -> bytes:
    import pptx as python_pptx
    from pptx.util import Inches

    deck = python_pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = title
    if table:
        shape = slide.shapes.add_table(
            len(table), len(table[0]), Inches(1), Inches(2), Inches(6), Inches(2)
        )
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                shape.table.cell(r, c).text = str(value)
    if notes:
        slide.notes_slide.notes_text_frame.text = notes
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def xls(sheets: dict[str, Rows]) -> bytes:
    import xlwt

    book = xlwt.Workbook()
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def odt(paragraphs: Sequence[str]) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    document = OpenDocumentText()
    for text in paragraphs:
        document.text.addElement(P(text=text))
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def ods(name: str, rows: Rows) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name=name)
    for row in rows:
        table_row = TableRow()
        for value in row:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=str(value)))
            table_row.addElement(cell)
        table.addElement(table_row)
    document.spreadsheet.addElement(table)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def pdf(pages: Sequence[str]) -> bytes:
    """One page per string, each line of it a line of text (fpdf2)."""
    from fpdf import FPDF

    document = FPDF()
    document.set_font("helvetica", size=11)
    for text in pages:
        document.add_page()
        for line in text.split("\n"):
            document.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def encrypted_pdf(plain: bytes, password: str, algorithm: str) -> bytes:
    """``plain`` encrypted by pypdf with ``algorithm`` (AES-256, AES-128, RC4-128, RC4-40)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(plain)))
    writer.encrypt(password, owner_password="owner-" + password, algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_office(plain: bytes, password: str) -> bytes:
    """An OOXML document encrypted with ECMA-376 agile encryption (msoffcrypto-tool)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt(password, out)
    return out.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def aes_zip(members: dict[str, bytes], password: str, bits: int = 256) -> bytes:
    import pyzipper

    out = io.BytesIO()
    with pyzipper.AESZipFile(
        out, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password.encode())
        archive.setencryption(pyzipper.WZ_AES, nbits=bits)
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def zipcrypto_zip(name: str, data: bytes, password: str) -> bytes:
    """A one-member zip under legacy PKWARE ZipCrypto (APPNOTE 6.1), stored. No maintained
    Python library writes ZipCrypto (it is broken), so these lines do."""
    crc = zlib.crc32(data)
    keys = [0x12345678, 0x23456789, 0x34567890]

    def update(byte: int) -> None:
        keys[0] = _crc_byte(keys[0], byte)
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = _crc_byte(keys[2], keys[1] >> 24)

    def encrypt(plain: bytes) -> bytes:
        out = bytearray()
        for byte in plain:
            temp = (keys[2] | 2) & 0xFFFF
            out.append(byte ^ ((temp * (temp ^ 1)) >> 8) & 0xFF)
            update(byte)
        return bytes(out)

    for byte in password.encode():
        update(byte)
    header = bytes(range(11)) + bytes([crc >> 24])
    body = encrypt(header) + encrypt(data)
    encoded = name.encode()
    # version needed, flags (1: encrypted), stored, time, date, crc, sizes, name length
    common = struct.pack("<HHHHHIIIH", 20, 1, 0, 0, 0, crc, len(body), len(data), len(encoded))
    local = b"PK\x03\x04" + common + struct.pack("<H", 0) + encoded
    trailer = struct.pack("<HHHHII", 0, 0, 0, 0, 0, 0)  # extra, comment, disk, attrs, offset
    central = b"PK\x01\x02" + struct.pack("<H", 20) + common + trailer + encoded
    offset = len(local) + len(body)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), offset, 0)
    return local + body + central + end


def _crc_byte(crc: int, byte: int) -> int:
    return (zlib.crc32(bytes([byte]), crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF) & 0xFFFFFFFF


def tnef(body: str, attachments: dict[str, bytes]) -> bytes:
    """A TNEF stream (winmail.dat, MS-OXTNEF): a text body and attachments. No Python library
    writes TNEF, so these lines follow the specification's attribute layout."""

    def attribute(level: int, kind: int, ident: int, data: bytes) -> bytes:
        checksum = sum(data) & 0xFFFF
        return (
            struct.pack("<BHHI", level, ident, kind, len(data)) + data + struct.pack("<H", checksum)
        )

    out = struct.pack("<IH", 0x223E9F78, 1)
    out += attribute(1, 0x0006, 0x9006, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += attribute(1, 0x0007, 0x9007, struct.pack("<II", 1252, 0))  # attOemCodepage
    out += attribute(1, 0x0002, 0x800C, body.encode("cp1252"))  # attBody
    for name, data in attachments.items():
        out += attribute(2, 0x0006, 0x9002, struct.pack("<I", 1))  # attAttachRenddata
        out += attribute(2, 0x0001, 0x8010, name.encode("cp1252") + b"\x00")  # attAttachTitle
        out += attribute(2, 0x0006, 0x800F, data)  # attAttachData
    return out


def rtf(text: str) -> bytes:
    """A minimal RTF document (a text format; the few control words are written here)."""
    escaped = text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")
    body = escaped.replace("\n", "\\par\n")
    return ("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}\\f0\\fs20 " + body + "\\par\n}").encode()


def email_with(
    body: str, attachments: Sequence[tuple[str, bytes, str]] = (), subject: str = "Case file"
) -> EmailMessage:
    """A real message (stdlib email); attachments are (file name, bytes, mime type)."""
    message = EmailMessage()
    message["From"] = "alice@dhs.gov"
    message["To"] = "bob@fbi.gov"
    message["Subject"] = subject
    message["Message-ID"] = "<formats-test@dhs.gov>"
    message.set_content(body)
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def outlook_msg(
    subject: str, body: str, attachments: dict[str, bytes], *, headers: str = ""
) -> bytes:
    """An Outlook .msg (MS-OXMSG): a compound file written by extract-msg's OleWriter, with the
    property streams that make a plain IPM.Note (no library writes .msg files whole);
    ``headers``: its stored transport headers (PR_TRANSPORT_MESSAGE_HEADERS), if any."""
    from extract_msg.ole_writer import OleWriter

    writer = OleWriter()

    def add_properties(path: str, values: dict[int, bytes], top: bool) -> None:
        entries = b""
        for tag, data in values.items():
            writer.addEntry(f"{path}__substg1.0_{tag:08X}", data)
            size = len(data) + 2 if tag & 0xFFFF == 0x001F else len(data)
            entries += struct.pack("<IIII", tag, 6, size, 0)
        fixed = {0x37050003: 1} if not top else {}  # PR_ATTACH_METHOD: by value
        for tag, number in fixed.items():
            entries += struct.pack("<IIII", tag, 6, number, 0)
        head = struct.pack("<8sIIII8s", bytes(8), 0, 1, 0, 1, bytes(8)) if top else bytes(8)
        writer.addEntry(f"{path}__properties_version1.0", head + entries)

    text = {0x001A001F: "IPM.Note", 0x0037001F: subject, 0x1000001F: body}
    if headers:
        text[0x007D001F] = headers
    add_properties("", {tag: value.encode("utf-16-le") for tag, value in text.items()}, True)
    writer.addEntry("__nameid_version1.0", storage=True)
    for stream in ("00020102", "00030102", "00040102"):
        writer.addEntry(f"__nameid_version1.0/__substg1.0_{stream}", b"")
    for number, (name, data) in enumerate(attachments.items()):
        root = f"__attach_version1.0_#{number:08X}"
        writer.addEntry(root, storage=True)
        values = {0x37010102: data, 0x3707001F: name.encode("utf-16-le")}
        add_properties(f"{root}/", values, False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_with_unnamed_member(data: bytes) -> bytes:
    """A one-member stored zip whose member's name is empty (APPNOTE 4.3.7 and 4.3.12: as
    some archivers write it; zipfile refuses to write one, so these lines do)."""
    crc = zlib.crc32(data)
    common = struct.pack("<HHHHHIIIH", 20, 0, 0, 0, 0, crc, len(data), len(data), 0)
    local = b"PK\x03\x04" + common + struct.pack("<H", 0)
    trailer = struct.pack("<HHHHII", 0, 0, 0, 0, 0, 0)  # extra, comment, disk, attrs, offset
    central = b"PK\x01\x02" + struct.pack("<H", 20) + common + trailer
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(data), 0
    )
    return local + data + central + end


def v7_tar(name: str, data: bytes) -> bytes:
    """A tar in the pre-POSIX V7 layout (no ``ustar`` magic, owner names or prefix): written by
    tarfile as USTAR, then those fields cleared and the header checksum recomputed, as V7
    tar wrote them (tarfile writes no V7)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    raw = bytearray(buffer.getvalue())
    raw[257:500] = bytes(243)  # magic, version, uname, gname, devices, prefix: not in V7
    raw[148:156] = b" " * 8
    raw[148:156] = b"%06o\x00 " % sum(raw[:512])
    return bytes(raw)


def xls_with_stream_case(sheets: dict[str, Rows]) -> bytes:
    """An .xls (xlwt) whose workbook stream is named ``WORKBOOK``: stream names compare
    without case in a compound file, and Excel and LibreOffice open it."""
    book = xls(sheets)
    return book.replace("Workbook".encode("utf-16-le"), "WORKBOOK".encode("utf-16-le"))

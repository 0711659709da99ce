"""OLE2 (compound file) documents: encrypted Office files (msoffcrypto-tool), Excel 97-2003
workbooks (xlrd), OLE objects embedded in documents (their ``Ole10Native`` package, read with
oletools, or the document they hold). Word and PowerPoint 97-2003 are read by programs
(``piigate.extract.office97``) once ``encrypted`` has found them unencrypted.

A file encrypted with Excel's default password (``VelvetSweatshop``, which Excel applies
without asking and opens without a prompt) is in effect plain: it is opened and graded
plaintext.

Encryption grades: ECMA-376 agile encryption with a 256-bit AES key → strong; agile with a
shorter key, ECMA-376 standard encryption (AES-128, one SHA-1 key) and the 97-2003 RC4 and
XOR schemes → weak.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from pathlib import PureWindowsPath

import msoffcrypto
import msoffcrypto.exceptions
import olefile
import xlrd
from oletools import oleobj

from piigate.errors import ExtractionError
from piigate.extract.content import Blob, Content, Lock
from piigate.extract.limits import Budget
from piigate.extract.ooxml import cell_text, trim_row, trim_rows
from piigate.extract.tables import table_of
from piigate.model import Grade

DEFAULT_PASSWORD = "VelvetSweatshop"  # noqa: S105  (Excel's published default, not a secret)
_OFFICE_ERRORS = (
    msoffcrypto.exceptions.FileFormatError,
    msoffcrypto.exceptions.DecryptionError,
    msoffcrypto.exceptions.InvalidKeyError,
    msoffcrypto.exceptions.ParseError,
    ValueError,
    KeyError,
    IndexError,
    OSError,
    AssertionError,
)


def office_lock(blob: Blob) -> Lock | None:
    """The lock on an encrypted Office file, or None when the file is not encrypted."""
    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(blob.data))
        if not office.is_encrypted():
            return None
    except _OFFICE_ERRORS:
        return None
    grade, method = _office_grade(office)

    def try_password(password: str) -> Content | None:
        attempt = msoffcrypto.OfficeFile(io.BytesIO(blob.data))
        plain = io.BytesIO()
        try:
            # OOXML checks a password only when asked; the 97-2003 formats always check it
            # (and their load_key takes no such argument).
            if getattr(attempt, "format", "") == "ooxml":
                attempt.load_key(password=password, verify_password=True)
            else:
                attempt.load_key(password=password)
            attempt.decrypt(plain)
        except _OFFICE_ERRORS:
            return None
        return Content(children=[blob.decrypted(plain.getvalue())])

    return Lock(grade, method, try_password)


def _office_grade(office: object) -> tuple[Grade, str]:
    kind = getattr(office, "type", None)
    info = getattr(office, "info", {})
    if kind == "agile":
        bits = int(info.get("passwordKeyBits", 0))
        grade = Grade.ENCRYPTED_STRONG if bits >= 256 else Grade.ENCRYPTED_WEAK
        return grade, f"office agile AES-{bits}"
    if kind == "standard":
        return Grade.ENCRYPTED_WEAK, "office standard AES"
    return Grade.ENCRYPTED_WEAK, f"office {getattr(office, 'format', 'legacy')} RC4/XOR"


def encrypted(blob: Blob) -> Content | None:
    """None when ``blob`` is not encrypted; its decrypted document when the default password
    opens it (in effect plain: graded plaintext); else the Lock to try passwords on."""
    lock = office_lock(blob)
    if lock is None:
        return None
    try:
        opened = lock.open(DEFAULT_PASSWORD)
    except Exception:  # a decrypter failing on hostile bytes: the lock is reported as usual
        opened = None
    if opened is not None:
        opened.grade = Grade.PLAINTEXT
        return opened
    return Content(lock=lock)


def read_encrypted_office(blob: Blob, budget: Budget) -> Content:
    content = encrypted(blob)
    if content is None:
        raise ExtractionError("encrypted Office file whose encryption cannot be read")
    return content


def read_xls(blob: Blob, budget: Budget) -> Content:
    protected = encrypted(blob)
    if protected is not None:
        return protected
    try:
        # xlrd writes notes (a BIFF4 file without a code page) to stdout unless told
        book = xlrd.open_workbook(file_contents=blob.data, on_demand=True, logfile=io.StringIO())
    except (xlrd.XLRDError, ValueError, KeyError, IndexError, AssertionError) as exc:
        raise ExtractionError(f"broken Excel 97-2003 workbook ({type(exc).__name__})") from exc
    tables = []
    for index in range(book.nsheets):
        budget.check_time()
        sheet = book.sheet_by_index(index)
        rows = [
            trim_row(_xls_cell(book, sheet.cell(r, c)) for c in range(sheet.ncols))
            for r in range(sheet.nrows)
        ]
        tables.append(table_of(sheet.name, trim_rows(rows)))
        book.unload_sheet(index)
    return Content(tables=tables)


def _xls_cell(book: xlrd.book.Book, cell: xlrd.sheet.Cell) -> str:
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return cell_text(xlrd.xldate_as_datetime(cell.value, book.datemode))
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return cell_text(cell.value)
    if cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_BOOLEAN):
        return str(cell.value)
    return cell_text(cell.value)


def read_ole(blob: Blob, budget: Budget) -> Content:
    """An OLE2 compound file that is no Office document of its own: an object embedded in a
    document. What it holds (an ``Ole10Native`` package, an OOXML ``Package``, a PDF's
    ``CONTENTS``) is a member for the walker; with none of these it cannot be read."""
    protected = encrypted(blob)
    if protected is not None:
        return protected
    members = list(ole_members(blob, budget))
    if not members:
        raise ExtractionError("OLE2 compound files of this kind cannot be read")
    return Content(children=members)


def ole_members(blob: Blob, budget: Budget) -> Iterator[Blob]:
    try:
        ole = olefile.OleFileIO(blob.data)
    except (OSError, ValueError, IndexError, KeyError) as exc:
        raise ExtractionError(f"broken OLE2 compound file ({type(exc).__name__})") from exc
    with ole:
        for path in ole.listdir(streams=True, storages=False):
            name = path[-1].lower()
            if name not in _HELD_STREAMS:
                continue
            budget.check_time()
            budget.take_member()
            size = ole.get_size(path)
            budget.check_member(size)
            budget.take_bytes(size)
            data = ole.openstream(path).read()
            if name == "\x01ole10native":
                yield _native_package(blob, data)
            else:
                yield blob.child("/".join(path), data)


_HELD_STREAMS = frozenset({"\x01ole10native", "package", "contents"})


def _native_package(blob: Blob, data: bytes) -> Blob:
    """The file an ``Ole10Native`` stream packages (an attachment dropped into a document),
    under its own name."""
    try:
        native = oleobj.OleNativeStream(bindata=data)
    except (ValueError, IndexError, struct.error, TypeError) as exc:
        raise ExtractionError(f"broken OLE package ({type(exc).__name__})") from exc
    name = PureWindowsPath(native.filename or "").name or "package"
    return blob.child(name, bytes(native.data or b""))

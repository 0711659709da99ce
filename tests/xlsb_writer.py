"""A small test-side writer of the BIFF12 records that no free program writes to a .xlsb
(SheetJS writes neither formulas, data validations nor headers and footers; LibreOffice and
the Python libraries write no .xlsb at all), following [MS-XLSB]: a record is its type and
length as 7-bit groups (2.1.4), then its payload. ``with_hidden_places`` adds such records to
the first sheet of the SheetJS-written ``tests/fixtures/office/plain.xlsb``, and
``with_validations_14`` the block of Excel 2010 validations (BrtDVal14) that Excel writes for
a validation whose list refers to another sheet.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests import office_formats

PLAIN = Path(__file__).parent / "fixtures" / "office" / "plain.xlsb"
SHEET = "xl/worksheets/sheet1.bin"

ROW_HEADER = 0x0000
FORMULA_STRING = 0x0008
WS_DIMENSIONS = 0x0094
END_SHEET_DATA = 0x0092
VALIDATION = 0x0040
BEGIN_VALIDATIONS = 0x023D
END_VALIDATIONS = 0x023E
ARRAY_FORMULA = 0x01AA
SHARED_FORMULA = 0x01AB
BEGIN_HEADER_FOOTER = 0x01DF
END_HEADER_FOOTER = 0x01E0
BEGIN_IGNORED_ERRORS = 0x0288
END_SHEET = 0x0082
FRT_BEGIN = 0x0023
FRT_END = 0x0024
VALIDATION_14 = 0x041D
BEGIN_VALIDATIONS_14 = 0x041E
END_VALIDATIONS_14 = 0x0482
_NULL = 0xFFFFFFFF
_RELATIONS = b"http://schemas.%s/relationships/%s"
_WORKSHEET = _RELATIONS % (b"openxmlformats.org/officeDocument/2006", b"worksheet")
_MACROSHEET = _RELATIONS % (b"microsoft.com/office/2006", b"xlMacrosheet")


class Payload:
    """A record's payload behind the surface of pyxlsb2's DataReader that the record classes
    of ``extract/xlsb_records.py`` use, to read one record without a workbook."""

    def __init__(self, data: bytes) -> None:
        self._data, self._at = data, 0

    def read(self, size: int) -> bytes:
        chunk = self._data[self._at : self._at + size]
        self._at += size
        return chunk


def records(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Each record of a part: its type and payload."""
    at = 0
    while at < len(data):
        kind = data[at]
        at += 1
        if kind & 0x80:
            kind = (kind & 0x7F) | ((data[at] & 0x7F) << 7)
            at += 1
        size = shift = 0
        while True:
            byte = data[at]
            at += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        yield kind, data[at : at + size]
        at += size


def record(kind: int, payload: bytes = b"") -> bytes:
    head = bytes([kind]) if kind < 0x80 else bytes([(kind & 0x7F) | 0x80, kind >> 7])
    size, length = len(payload), bytearray()
    while True:
        length.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            break
    return head + bytes(length) + payload


def wide(text: str | None) -> bytes:
    """An XLNullableWideString (None: the NULL string)."""
    if text is None:
        return struct.pack("<I", _NULL)
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def parsed(tokens: bytes, extra: bytes = b"") -> bytes:
    """A CellParsedFormula-shaped structure: cce, rgce, cb, rgcb."""
    return struct.pack("<I", len(tokens)) + tokens + struct.pack("<I", len(extra)) + extra


def ptg_string(text: str) -> bytes:
    """PtgStr (2.5.98.81): the token, the character count, UTF-16."""
    return b"\x17" + struct.pack("<H", len(text)) + text.encode("utf-16-le")


def area(first_row: int, last_row: int, first_col: int, last_col: int) -> bytes:
    return struct.pack("<4I", first_row, last_row, first_col, last_col)


def validation(messages: Sequence[str | None], items: Sequence[str]) -> bytes:
    """BrtDVal of a list (valType 3) on A2, showing its prompt and error: flags, sqrfx,
    DValStrings (error title, error, prompt title, prompt), formula1 (the items as one string,
    comma-separated, which LibreOffice reads as the list's items), an empty formula2."""
    flags = 3 | (1 << 18) | (1 << 19)  # valType list, fShowInputMsg, fShowErrorMsg
    ranges = struct.pack("<I", 1) + area(1, 1, 0, 0)
    strings = b"".join(wide(text) for text in messages)
    first = parsed(ptg_string(",".join(items)))
    return record(VALIDATION, struct.pack("<I", flags) + ranges + strings + first + parsed(b""))


def validation_14(messages: Sequence[str | None], tokens: bytes) -> bytes:
    """BrtDVal14 (2.4.354) of a list on A2, showing its prompt and error: an FRTHeader
    (2.5.61; flags fSqref and fFormula) with one FRTSqref (flags: fDoAdjust; an
    UncheckedSqRfX of A2) and one FRTFormula (reserved flags 2, then an FRTParsedFormula:
    cce, cb, rgce, rgcb), then the flags of BrtDVal plus fDVMinFmla, and DValStrings
    (error title, error, prompt title, prompt)."""
    header = struct.pack("<III", 0x2 | 0x4, 1, 0x2) + struct.pack("<I", 1) + area(1, 1, 0, 0)
    header += struct.pack("<IIII", 1, 0x2, len(tokens), 0) + tokens
    flags = 3 | (1 << 18) | (1 << 19) | (1 << 24)  # list, input and error shown, formula 1
    strings = b"".join(wide(text) for text in messages)
    return record(VALIDATION_14, header + struct.pack("<I", flags) + strings)


def with_validations_14(validations: Sequence[bytes]) -> bytes:
    """plain.xlsb whose first sheet ends with the block Excel 2010 and later write for the
    validations BrtDVal cannot hold (2.1.7.62 Worksheet, FRTWORKSHEET; DVALS14): BrtFRTBegin
    (ProductVersion: 14, Excel 2010), BrtBeginDVals14 (an FRTBlank, then DVals as for
    BrtBeginDVals), the BrtDVal14 records, BrtEndDVals14 and BrtFRTEnd, before BrtEndSheet."""
    begin = struct.pack("<I", 0) + struct.pack("<HIIII", 0, 0, 0, 0, len(validations))
    block = (
        record(FRT_BEGIN, struct.pack("<HH", 0x000E, 0))
        + record(BEGIN_VALIDATIONS_14, begin)
        + b"".join(validations)
        + record(END_VALIDATIONS_14)
        + record(FRT_END)
    )

    def sheet(data: bytes) -> bytes:
        return b"".join(
            (block if kind == END_SHEET else b"") + record(kind, payload)
            for kind, payload in records(data)
        )

    return office_formats.rewrite(PLAIN.read_bytes(), {SHEET: sheet})


def area_3d(sheet: int, first_row: int, last_row: int, column: int) -> bytes:
    """PtgArea3d (2.5.98.19) of one column: the token, the XTI index (plain.xlsb's
    BrtExternSheet: 2 is its first sheet, 3 its second), rows and columns, absolute."""
    return b"\x3b" + struct.pack("<HIIHH", sheet, first_row, last_row, column, column)


def formula_cell(row: int, column: int, master: int) -> bytes:
    """BrtFmlaString without its value whose formula is a PtgExp (the row of the cell its
    shared or array formula follows) and a PtgExtraCol (that cell's column)."""
    cell = struct.pack("<II", column, 0)
    exp = b"\x01" + struct.pack("<I", master)
    return record(
        FORMULA_STRING,
        cell + wide("") + struct.pack("<H", 0) + parsed(exp, struct.pack("<I", column)),
    )


@dataclass(frozen=True)
class Hidden:
    """The texts to hide, each in one place."""

    prompt: str
    item: str
    header: str
    first_footer: str
    shared: str
    array: str
    joined: str = ""
    """A6's formula joins its two halves as two literals (a formula of its own); empty: none."""


def with_hidden_places(hidden: Hidden, *, cut: int | None = None) -> bytes:
    """plain.xlsb whose first sheet also holds a list validation (``prompt`` in its input
    message, ``item`` in its list), a header and a first-page footer, a shared formula over
    A3:A4, an array formula in A5 and ``joined`` in A6 (their cells saved without values).
    ``cut``: that many bytes are cut from the validation record's payload (malformed)."""

    def sheet(data: bytes) -> bytes:
        out = bytearray()
        row_header = b""
        for kind, payload in records(data):
            if kind == ROW_HEADER:
                row_header = payload
            elif kind == END_SHEET_DATA:
                out += _formula_rows(hidden, row_header)
            elif kind == BEGIN_IGNORED_ERRORS:
                texts = (hidden.header, None, None, None, None, hidden.first_footer)
                begin = struct.pack("<H", 0x0002) + b"".join(wide(text) for text in texts)
                out += record(BEGIN_HEADER_FOOTER, begin) + record(END_HEADER_FOOTER)
            out += record(kind, area(0, 5, 0, 0) if kind == WS_DIMENSIONS else payload)
            if kind == END_SHEET_DATA:
                out += _validations(hidden, cut)
        return bytes(out)

    return office_formats.rewrite(PLAIN.read_bytes(), {SHEET: sheet})


def _formula_rows(hidden: Hidden, row_header: bytes) -> bytes:
    out = bytearray()
    for row in (2, 3, 4):
        out += record(ROW_HEADER, struct.pack("<I", row) + row_header[4:])
        out += formula_cell(row, 0, master=2 if row < 4 else 4)
        if row == 2:
            tokens = ptg_string(hidden.shared) + b"\x4c" + struct.pack("<IH", 0, 0xC001)
            out += record(SHARED_FORMULA, area(2, 3, 0, 0) + parsed(tokens + b"\x08"))
        if row == 4:
            out += record(
                ARRAY_FORMULA, area(4, 4, 0, 0) + b"\x00" + parsed(ptg_string(hidden.array))
            )
    if hidden.joined:
        half = len(hidden.joined) // 2
        tokens = ptg_string(hidden.joined[:half]) + ptg_string(hidden.joined[half:]) + b"\x08"
        cell = struct.pack("<II", 0, 0) + wide("") + struct.pack("<H", 0) + parsed(tokens)
        out += record(ROW_HEADER, struct.pack("<I", 5) + row_header[4:])
        out += record(FORMULA_STRING, cell)
    return bytes(out)


def _validations(hidden: Hidden, cut: int | None) -> bytes:
    dval = validation(("Not allowed", None, "Who", hidden.prompt), ("none", hidden.item))
    if cut is not None:
        kind, payload = next(records(dval))
        dval = record(kind, payload[:-cut])
    begin = struct.pack("<HIIII", 0, 0, 0, 0, 1)  # DVals: flags, xLeft, yTop, unused, idvMac
    return record(BEGIN_VALIDATIONS, begin) + dval + record(END_VALIDATIONS)


def as_macro_sheet(workbook: bytes, number: int) -> bytes:
    """``workbook`` with its sheet ``number`` declared an Excel 4.0 macro sheet (relationship
    and content type; a macro sheet's records are a worksheet's)."""
    target = b"worksheets/sheet%d.bin" % number

    def relationships(data: bytes) -> bytes:
        sheet = b'Type="%s" Target="' + target + b'"'
        return data.replace(sheet % _WORKSHEET, sheet % _MACROSHEET)

    def content_types(data: bytes) -> bytes:
        part = b'PartName="/xl/' + target + b'" ContentType="application/vnd.ms-excel.%s"'
        return data.replace(part % b"worksheet", part % b"macrosheet")

    edits = {"xl/_rels/workbook.bin.rels": relationships, "[Content_Types].xml": content_types}
    return office_formats.rewrite(workbook, edits)

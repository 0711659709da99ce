"""Record classes for the BIFF12 records of a sheet that pyxlsb2 does not parse, read by its
own ``RecordReader`` (the way ``xlsb.py`` reads comment text): a data validation
([MS-XLSB] 2.4.353 BrtDVal; and 2.4.354 BrtDVal14, which Excel 2010 and later write inside a
BrtFRTBegin/BrtFRTEnd block for a validation whose list refers to another sheet), a sheet's
page headers and footers (2.4.90 BrtBeginHeaderFooter), and the formula that the cells of a
shared or an array formula point to (2.4.785 BrtShrFmla, 2.4.6 BrtArrFmla: their cells hold
only a PtgExp naming the row of the cell the record follows). A record shorter than its
layout raises ValueError, so that the workbook's records are unreadable (unscannable), never
read as empty.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Self

from pyxlsb2 import recordtypes as rt

VALIDATION = 0x0040
"""BrtDVal (pyxlsb2's table names no record 64)."""
VALIDATION_14 = 0x041D
"""BrtDVal14 (pyxlsb2's table names no record 1053)."""
HEADER_FOOTER = rt.BEGIN_HEADER_FOOTER
SHARED_FORMULA = rt.SHR_FMLA
ARRAY_FORMULA = rt.ARR_FMLA
PTG_EXP = 0x01
"""The token a shared or array formula's cell holds instead of its formula."""

_NULL = 0xFFFFFFFF  # an XLNullableWideString's length when it is NULL
_UINT = struct.Struct("<I")
_RANGE = struct.Struct("<4I")  # UncheckedRfX / RfX: first row, last row, first col, last col
# FRTHeader (2.5.61) flags: which of its optional arrays follow, in this order.
_FRT_REFS, _FRT_SQREFS, _FRT_FORMULAS, _FRT_RELID = 0x1, 0x2, 0x4, 0x8


def _exact(reader: Any, size: int) -> bytes:
    data = bytes(reader.read(size))
    if len(data) != size:
        raise ValueError("record shorter than its layout")
    return data


def _uint(reader: Any) -> int:
    value: int = _UINT.unpack(_exact(reader, 4))[0]
    return value


def _string(reader: Any) -> str:
    """An XLNullableWideString (a NULL one is empty); an XLWideString has the same layout."""
    count = _uint(reader)
    if count == _NULL:
        return ""
    return _exact(reader, 2 * count).decode("utf-16-le", "replace")


def _formula(reader: Any) -> bytes:
    """The tokens (rgce) of a CellParsedFormula-shaped structure (DVParsedFormula,
    SharedParsedFormula, ArrayParsedFormula: cce, rgce, cb, rgcb)."""
    tokens = _exact(reader, _uint(reader))
    _exact(reader, _uint(reader))
    return tokens


def _frt_formulas(reader: Any) -> tuple[bytes, ...]:
    """The formulas' tokens of an FRTHeader (2.5.61): its flags, then the arrays they name:
    FRTRefs (a count, then per FRTRef 4 bytes of flags and an RfX), FRTSqrefs (a count, then
    per FRTSqref 4 bytes of flags and an UncheckedSqRfX), FRTFormulas (a count, then per
    FRTFormula 4 bytes of flags and an FRTParsedFormula: cce, cb, rgce, rgcb) and a RelID
    (an XLNullableWideString)."""
    flags = _uint(reader)
    if flags & _FRT_REFS:
        for _ in range(_uint(reader)):
            _exact(reader, 4 + _RANGE.size)
    if flags & _FRT_SQREFS:
        for _ in range(_uint(reader)):
            _exact(reader, 4)
            _exact(reader, _RANGE.size * _uint(reader))
    formulas = []
    if flags & _FRT_FORMULAS:
        for _ in range(_uint(reader)):
            _exact(reader, 4)
            tokens, extra = _uint(reader), _uint(reader)
            formulas.append(_exact(reader, tokens))
            _exact(reader, extra)
    if flags & _FRT_RELID:
        _string(reader)
    return tuple(formulas)


@dataclass(frozen=True, slots=True)
class ValidationRecord:
    """BrtDVal: flags, the ranges it applies to (UncheckedSqRfX), its four messages
    (DValStrings: error title, error, prompt title, prompt) and its two formulas. BrtDVal14:
    an FRTHeader holding its ranges and formulas (the first, then the second if any), then
    the same flags and DValStrings."""

    messages: tuple[str, ...]
    formulas: tuple[bytes, ...]

    @classmethod
    def read(cls, reader: Any, rectype: int, reclen: int) -> Self:
        if rectype == VALIDATION_14:
            formulas = _frt_formulas(reader)
            _exact(reader, 4)
            return cls(_messages(reader), formulas)
        _exact(reader, 4)
        _exact(reader, _RANGE.size * _uint(reader))
        messages = _messages(reader)
        return cls(messages, (_formula(reader), _formula(reader)))


def _messages(reader: Any) -> tuple[str, ...]:
    """DValStrings (error title, error, prompt title, prompt), as a user meets them: the
    prompt's title and text, then the error's."""
    error_title, error, prompt_title, prompt = (_string(reader) for _ in range(4))
    return (prompt_title, prompt, error_title, error)


@dataclass(frozen=True, slots=True)
class HeaderFooterRecord:
    """BrtBeginHeaderFooter: flags, then the odd header and footer, the even ones and the
    first page's (six XLNullableWideStrings, in that order)."""

    texts: tuple[str, ...]

    @classmethod
    def read(cls, reader: Any, rectype: int, reclen: int) -> Self:
        _exact(reader, 2)
        return cls(tuple(_string(reader) for _ in range(6)))


@dataclass(frozen=True, slots=True)
class FormulaRangeRecord:
    """BrtShrFmla (its range, then a SharedParsedFormula) or BrtArrFmla (its range, a flags
    byte, then an ArrayParsedFormula): the formula of every cell of the range that points to
    it."""

    rows: range
    columns: range
    tokens: bytes

    @classmethod
    def read(cls, reader: Any, rectype: int, reclen: int) -> Self:
        first_row, last_row, first_col, last_col = _RANGE.unpack(_exact(reader, _RANGE.size))
        if rectype == ARRAY_FORMULA:
            _exact(reader, 1)
        tokens = _formula(reader)
        return cls(range(first_row, last_row + 1), range(first_col, last_col + 1), tokens)

    def covers(self, row: int, column: int) -> bool:
        return row in self.rows and column in self.columns


def master_row(tokens: bytes) -> int | None:
    """The row of the cell whose shared or array formula ``tokens`` point to (a PtgExp: the
    token, then the row; [MS-XLSB] 2.5.98.40), or None for a formula of its own."""
    if not tokens or tokens[0] != PTG_EXP:
        return None
    if len(tokens) < 5:
        raise ValueError("shared formula token shorter than its layout")
    row: int = _UINT.unpack(tokens[1:5])[0]
    return row

"""Decode text parts: what the bytes are first, then the declared charset, then detection;
never an exception.

Charsets lie: a part declared us-ascii carries UTF-8, a file saved as UTF-16 or UTF-32 (with
or without a byte-order mark) is sent as text/plain, or ``charset=utf-16`` is put on ASCII.
A byte-order mark decides; without one, NUL bytes in the pattern of UTF-16/UTF-32 text (one
every second or fourth byte) do; a declared UTF-16/32 on bytes without a NUL is not believed.
"""

from __future__ import annotations

import codecs

import charset_normalizer

_SNIFF_BYTES = 8192
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WIDE = ("utf-16", "utf-32", "ucs-2", "ucs-4")


def decode_text(payload: bytes, declared: str | None) -> str:
    """Decode ``payload``: a byte-order mark or the NUL pattern of UTF-16/32, else the declared
    charset if it is known and fits, else UTF-8, else a detected one, else an East Asian code
    page that decodes it whole, else Windows-1252 (with replacement characters)."""
    wide = wide_encoding(payload)
    if wide is not None:
        return payload.decode(wide, errors="replace")
    if declared and _known(declared) and not _wide_without_nul(declared, payload):
        try:
            return payload.decode(declared)
        except UnicodeDecodeError:
            pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(payload).best()
    if best is not None:
        return str(best)
    return payload.decode(_legacy_code_page(payload), errors="replace")


def wide_encoding(payload: bytes) -> str | None:
    """The codec of UTF-16/UTF-32 (or UTF-8 with a BOM) text, from its BOM or NUL pattern."""
    for bom, codec in _BOMS:
        if payload.startswith(bom):
            return codec
    head = payload[:_SNIFF_BYTES]
    if len(head) < 4 or b"\x00" not in head:
        return None
    return _nul_pattern(head)


def _nul_pattern(head: bytes) -> str | None:
    """Latin text in UTF-32 has NULs in three bytes of each four, in UTF-16 in one of each
    two, always in the same places; the codec is believed when the text it gives is
    printable. Anything else with NULs is not text."""
    quarter = len(head) // 4
    if quarter == 0:
        return None
    nul = [head[k : quarter * 4 : 4].count(0) / quarter >= _NUL_SHARE for k in range(4)]
    for codec, pattern in _NUL_PATTERNS:
        if tuple(nul) == pattern and _printable(head[: quarter * 4].decode(codec, "replace")):
            return codec
    return None


_NUL_SHARE = 0.7
_NUL_PATTERNS = (
    ("utf-32-le", (False, True, True, True)),
    ("utf-32-be", (True, True, True, False)),
    ("utf-16-le", (False, True, False, True)),
    ("utf-16-be", (True, False, True, False)),
)


def _printable(text: str) -> bool:
    """Printable, and mostly ASCII (the NUL pattern is only that of Latin-script text)."""
    shown = sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t")
    ascii_text = sum(1 for ch in text if " " <= ch <= "~" or ch in "\r\n\t")
    return shown >= 0.9 * len(text) and ascii_text >= 0.5 * len(text)


def _wide_without_nul(declared: str, payload: bytes) -> bool:
    return declared.lower().replace("_", "-").startswith(_WIDE) and b"\x00" not in payload


def looks_like_text(payload: bytes) -> bool:
    """True when the bytes are text in some charset: UTF-16/32 text (by its BOM or NULs), or
    bytes with no NUL that decode."""
    head = payload[:_SNIFF_BYTES]
    if wide_encoding(head) is not None:
        return True
    if b"\x00" in head:
        return False
    if not head:
        return True
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sniff window is still UTF-8.
        if exc.start >= len(head) - 4 and len(payload) > _SNIFF_BYTES:
            return True
    return charset_normalizer.from_bytes(head).best() is not None or _extended_ascii(head)


_CONTROLS = frozenset(range(32)) - {9, 10, 12, 13}


def _extended_ascii(head: bytes) -> bool:
    """Text in some ASCII-compatible code page that charset detection does not name (short
    Windows-1252 text as TNEF carries it, Korean in UHC or Johab, a code page table with
    unmapped sequences): no control character but tab, line breaks, form feed and the escape
    of ISO-2022 shifts, as file(1) calls such bytes text. Binary data has control bytes."""
    return not (_CONTROLS - {_ESCAPE}).intersection(head)


_ESCAPE = 0x1B


_EAST_ASIAN = ("cp949", "big5", "shift_jis", "euc_jp", "johab")
"""Code pages that charset detection misses on short text (Python's own test samples of
Korean in UHC and Johab): tried in this order, strictly. GB18030 is left out: nearly any
bytes decode in it."""


def _legacy_code_page(payload: bytes) -> str:
    """The code page of text charset detection did not name: East Asian text (two bytes per
    character, most of them above ASCII) in the first of ``_EAST_ASIAN`` that decodes it
    whole, anything else as Windows-1252 (ASCII reads the same in every one)."""
    high = sum(1 for byte in payload if byte >= 0x80)
    if high * 10 >= len(payload) * 3:
        for codec in _EAST_ASIAN:
            try:
                payload.decode(codec)
            except UnicodeDecodeError:
                continue
            return codec
    return "cp1252"


def _known(charset: str) -> bool:
    try:
        codecs.lookup(charset)
    except LookupError:
        return False
    return True

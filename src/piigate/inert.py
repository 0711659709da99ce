"""Text that came from mail (a Subject, a display name, a file name, an address), made
harmless where people read it: on a terminal and in a spreadsheet.

``for_terminal`` writes every control character (C0, DEL, C1: ESC starts an ANSI or OSC
sequence, CSI is one byte in C1) and every bidirectional override or isolate (which reorder
what a reader sees) as a visible escape such as ``\\x1b`` or ``\\u202e``; the rest is kept.
``for_spreadsheet`` also prefixes a quote to a cell a spreadsheet would run as a formula
(OWASP's list: ``=``, ``+``, ``-``, ``@``, tab, carriage return, after any leading spaces).
JSON needs neither: ``json.dumps`` writes control characters as ``\\u001b`` already, and a
JSON value must stay exactly what was recorded.
"""

from __future__ import annotations

import re

__all__ = ["for_spreadsheet", "for_terminal"]

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def for_terminal(text: str) -> str:
    """``text`` with every control and bidi-override character written as an escape."""
    return _UNSAFE.sub(_escape, text)


def for_spreadsheet(cell: object) -> object:
    """A CSV cell: inert on a terminal, and never a formula (numbers are kept as they are)."""
    if not isinstance(cell, str):
        return cell
    if cell.lstrip(" ")[:1] in _FORMULA:
        cell = "'" + cell
    return for_terminal(cell)

"""The text a spreadsheet formula carries: its string literals, joined when the formula does
nothing but join them; and the text of a page header or footer, without its codes. Shared by
the .xlsx (formula text) and .xlsb (pyxlsb2's rendering of the formula's tokens) readers."""

from __future__ import annotations

import re

_LITERAL = re.compile(r'"((?:[^"]|"")*)"')
_CONCAT = re.compile(r"(?i)(?:_xlfn\.)?concat(?:enate)?\b")
_PAGE_CODES = re.compile(r'&(?:"[^"]*"|K[0-9A-Fa-f]{6}|K\d\d[+-]\d{3}|\d+|[A-Za-z])')


def formula_text(formula: str) -> str:
    """The string literals of a formula; joined when the formula does nothing but join them
    (``"123-45-" & "6789"``, ``CONCATENATE("a","b")``), else one after another."""
    literals = [found.replace('""', '"') for found in _LITERAL.findall(formula)]
    if not literals:
        return ""
    rest = _CONCAT.sub("", _LITERAL.sub("", formula))
    only_joins = set(rest) <= set("&,() =")
    return "".join(literals) if only_joins else " ".join(literals)


def page_text(text: str) -> str:
    """A page header's or footer's text, each of its codes (``&L``, ``&"Arial,Bold"``,
    ``&12``, ``&KFF0000`` ...) a space."""
    return _PAGE_CODES.sub(" ", text)

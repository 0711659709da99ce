"""Delimited text (CSV, TSV) into a Table, with the stdlib csv module."""

from __future__ import annotations

import csv
import io

from piigate.model import Table

_SNIFF_CHARS = 16_384
_DELIMITERS = ",\t;|"


def read_delimited(text: str, name: str = "") -> Table:
    """Split ``text`` into rows of cells; the delimiter is sniffed (comma if unsure)."""
    dialect: type[csv.Dialect] | csv.Dialect
    try:
        dialect = csv.Sniffer().sniff(text[:_SNIFF_CHARS], delimiters=_DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text, newline=""), dialect)
    return Table(name, tuple(tuple(row) for row in rows if row))

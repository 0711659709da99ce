"""Delimited text (CSV, TSV) into a Table, with the stdlib csv module; large tables packed.

A table of ``PACK_MIN_CELLS`` cells or more is kept as its CSV text, gzipped
(``model.Table.packed``), rather than a tuple per row and a string per cell: it crosses from
the reader's worker in one piece and waits for detection at a fraction of the size of its
text, and detection unpacks it a batch of rows at a time. Smaller tables keep their rows.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Sequence

from piigate.model import Table

_SNIFF_CHARS = 16_384
_DELIMITERS = ",\t;|"
PACK_MIN_CELLS = 100_000
"""Tables with at least this many cells are packed (about 1 MB of text and more)."""


def read_delimited(text: str, name: str = "") -> Table:
    """Split ``text`` into rows of cells; the delimiter is sniffed (comma if unsure)."""
    dialect: type[csv.Dialect] | csv.Dialect
    try:
        dialect = csv.Sniffer().sniff(text[:_SNIFF_CHARS], delimiters=_DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text, newline=""), dialect)
    return table_of(name, (row for row in rows if row))


def table_of(name: str, rows: Iterable[Sequence[str]]) -> Table:
    """A Table of ``rows``, read once: their cells as they come until ``PACK_MIN_CELLS``,
    then the whole table packed as CSV text (never every row and every cell at once)."""
    kept: list[tuple[str, ...]] = []
    cells = 0
    iterator = iter(rows)
    for row in iterator:
        kept.append(tuple(row))
        cells += len(row)
        if cells >= PACK_MIN_CELLS:
            break
    else:
        return Table(name, tuple(kept))
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=1, mtime=0) as stream:
        text = io.TextIOWrapper(stream, "utf-8", "surrogatepass", newline="")
        writer = csv.writer(text)
        writer.writerows(kept)
        width = max(map(len, kept))
        del kept
        for row in iterator:
            writer.writerow(row)
            width = max(width, len(row))
        text.flush()
        text.detach()
    return Table(name, (), packed=buffer.getvalue(), width=width)

"""Reduce HTML to its visible text (Beautiful Soup does the parsing); tables stay tables."""

from __future__ import annotations

from bs4 import BeautifulSoup

from piigate.model import Table

_INVISIBLE = ("script", "style", "head", "template", "noscript")


def html_to_text(markup: str) -> str:
    """The visible text, one block per line; a table's rows as lines of tab-separated cells."""
    text, tables = read_html(markup)
    rows = ["\t".join(row) for table in tables for row in table.rows]
    return "\n".join([text, *rows]) if rows else text


def read_html(markup: str) -> tuple[str, list[Table]]:
    """The visible text, and each table (innermost first) as rows of cell strings; a table's
    cells are not repeated in the text."""
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(_INVISIBLE):
        tag.decompose()
    tables: list[Table] = []
    # find_all is in document order, so a nested table comes after its parent: go backwards.
    for table in reversed(soup.find_all("table")):
        rows = []
        for row in table.find_all("tr"):
            cells = [_clean(cell.get_text(" ")) for cell in row.find_all(["td", "th"])]
            if any(cells):
                rows.append(tuple(cells))
        table.decompose()
        if rows:
            tables.append(Table("", tuple(rows)))
    tables.reverse()
    return soup.get_text("\n").replace("\xa0", " "), tables


def _clean(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())

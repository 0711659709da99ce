"""Tables inside running text: blocks of tab-separated lines (a spreadsheet pasted into a
mail body, an HTML table kept as rows) are analysed by column like any other table.

A block is two or more consecutive lines with the same number of tabs (at least one). Its
lines are blanked out of the text (line numbers stay right), and each becomes a row.
"""

from __future__ import annotations

from piigate.model import Table


def split_tables(text: str) -> tuple[str, list[tuple[int, Table]]]:
    """The text without its tab-separated blocks, and each block as (first line, Table)."""
    if "\t" not in text:
        return text, []
    lines = text.split("\n")
    tables: list[tuple[int, Table]] = []
    index = 0
    while index < len(lines):
        tabs = lines[index].count("\t")
        end = index + 1
        if tabs:
            while end < len(lines) and lines[end].count("\t") == tabs:
                end += 1
        if end - index >= 2:
            rows = tuple(
                tuple(cell.strip() for cell in line.split("\t")) for line in lines[index:end]
            )
            tables.append((index + 1, Table("", rows)))
            for blank in range(index, end):
                lines[blank] = ""
        index = end
    if not tables:
        return text, []
    return "\n".join(lines), tables

"""HTML read as a mail client renders it, plus everything delivered but not shown.

lxml parses (libxml2's HTML parser: entities and numeric character references decoded, broken
markup repaired); a walk over the tree renders the text:

- inline elements join (``123<span>-</span>45-<b>6789</b>`` is one number); block elements,
  ``<br>`` and list items separate lines; whitespace collapses as a browser collapses it
  (kept inside ``<pre>``); a comment is not shown, so the text on either side of it joins;
- each table is kept as a table (rows of cells, each cell's text joined the same way), its
  cells not repeated in the text;
- ``<script>`` and ``<style>`` are not text.

Hidden text is what the recipient receives but the renderer does not show: comments,
``<title>``, ``<noscript>``, ``<template>``, ``alt``/``title``/``aria-label`` (and similar)
attributes, ``<meta>`` content, elements hidden by the ``hidden`` attribute or inline CSS
(``display:none``, ``visibility:hidden``, ``font-size:0``, ``opacity:0``) or by a ``<style>``
sheet's rule for their class, id or other selector (``piigate.extract.css``), CSS ``content:``
strings, and the text inside ``data:`` URIs (text/* and SVG; SVG and HTML rendered the same
way, their own hidden text included). It is screened as a segment of its own, so a finding
there says it was hidden text.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

import lxml.etree
import lxml.html

from piigate.errors import ExtractionError
from piigate.extract.css import HIDING_STYLE, hidden_by_style_sheets
from piigate.model import Table

__all__ = ["RenderedHtml", "html_to_text", "read_html", "render_html"]

BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "center", "dd", "details"),
        *("dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer"),
        *("form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html"),
        *("legend", "li", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "ul"),
        *("caption", "option", "tbody", "thead", "tfoot", "table", "tr"),
    }
)
NOT_TEXT = frozenset({"script", "style"})
HIDDEN_ELEMENTS = frozenset({"title", "noscript", "template", "head"})
HIDDEN_ATTRIBUTES = frozenset(
    {"alt", "title", "aria-label", "aria-description", "placeholder", "summary"}
)
_TABLE_TAGS = frozenset({"table", "tr", "td", "th"})
_BREAKS = frozenset({"br", "td", "th"})
"""Also separate text (a cell outside a table being read: hidden, or stray)."""
_CSS_CONTENT = re.compile(r"""content\s*:\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""", re.I)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)")
_DATA_URI = re.compile(r"data:([\w.+-]+/[\w.+-]+)?((?:;[\w.+-]+=[\w.+-]+)*)(;base64)?,([^\s\"')]*)")
_SPACES = re.compile(r"[ \t\n\r\f]+")
_MAX_DATA_DEPTH = 3


@dataclass(slots=True)
class RenderedHtml:
    """The shown text (one block per line), the tables, and the hidden text (one per line)."""

    text: str = ""
    tables: list[Table] = field(default_factory=list)
    hidden: str = ""


def html_to_text(markup: str) -> str:
    """Everything as one text: the shown text, a table's rows as lines of tab-separated
    cells, then the hidden text (for readers that keep one text per part)."""
    return _all_text(markup, 0)


def read_html(markup: str) -> tuple[str, list[Table]]:
    """The shown text and each table as rows of cell strings (hidden text left out)."""
    rendered = render_html(markup)
    return rendered.text, rendered.tables


def render_html(markup: str, data_depth: int = 0) -> RenderedHtml:
    root = _parse(markup)
    if root is None:
        return RenderedHtml()
    walk = _Walk(data_depth, hidden_by_style_sheets(root))
    walk.run(root)
    return RenderedHtml(
        _lines("".join(walk.shown)), walk.tables, "\n".join(_hidden_lines(walk.hidden))
    )


def _parse(markup: str) -> lxml.html.HtmlElement | None:
    """The document tree; None when there is nothing to read. lxml gets UTF-8 bytes (so an
    XML declaration or a lone surrogate cannot stop it); NUL is dropped, as browsers drop it.
    Markup nested deeper than libxml2 reads (it would silently drop the rest) is unreadable."""
    if not markup.strip():
        return None
    data = markup.replace("\x00", "").encode("utf-8", "replace")
    parser = lxml.html.HTMLParser(
        remove_comments=False, remove_pis=True, huge_tree=True, encoding="utf-8"
    )
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (ValueError, lxml.etree.ParserError):  # nothing but whitespace or comments
        return None
    if any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log):
        raise ExtractionError("HTML nested too deeply to read")
    return root


class _Cells:
    """A table being read: its rows (each a list of cell texts) and the cell being read."""

    def __init__(self) -> None:
        self.rows: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def table(self) -> Table | None:
        rows = []
        for row in self.rows:
            cells = tuple(" ".join("".join(cell).split()) for cell in row)
            if any(cells):
                rows.append(cells)
        return Table("", tuple(rows)) if rows else None


class _Walk:
    """One pass over the tree: shown text, tables, hidden text."""

    def __init__(
        self, data_depth: int, hidden_by_sheets: frozenset[lxml.html.HtmlElement] = frozenset()
    ) -> None:
        self.hidden_by_sheets = hidden_by_sheets
        """Elements the document's style sheets hide (``piigate.extract.css``)."""
        self.shown: list[str] = []
        self.hidden: list[str] = []
        self.tables: list[Table] = []
        self.open_tables: list[_Cells] = []
        self.hiding: list[bool] = []
        """Per open element: whether it hides what it contains."""
        self.hidden_depth = 0
        self.pre_depth = 0
        self.data_depth = data_depth

    def run(self, root: lxml.html.HtmlElement) -> None:
        walker = lxml.etree.iterwalk(root, events=("start", "end", "comment"))
        for event, node in walker:
            tag = node.tag if isinstance(node.tag, str) else ""
            if event == "start":
                if tag in NOT_TEXT:
                    self.not_text(tag, node)
                    walker.skip_subtree()  # its "end" still comes
                else:
                    self.start(tag, node)
            elif event == "end":
                self.end(tag, node.tail)
            else:
                self.comment(node.text or "")
                self.add(node.tail)

    def in_cell(self) -> bool:
        return bool(self.open_tables) and self.open_tables[-1].cell is not None

    def target(self) -> list[str]:
        if self.hidden_depth:
            return self.hidden
        cell = self.open_tables[-1].cell if self.open_tables else None
        return cell if cell is not None else self.shown

    def add(self, text: str | None) -> None:
        if not text:
            return
        if self.hidden_depth or not self.pre_depth:
            text = _SPACES.sub(" ", text)
        self.target().append(text)

    def not_text(self, tag: str, node: lxml.html.HtmlElement) -> None:
        """A script or style: not text; a style sheet's content strings are hidden text."""
        self.hiding.append(False)
        items = node.items()
        if items:
            self.attributes(tag, items)
        if tag == "style" and node.text:
            self.hidden.extend(css_content_strings(node.text))
            self.data_uris(node.text)

    def start(self, tag: str, node: lxml.html.HtmlElement) -> None:
        items = node.items()
        hides = self.attributes(tag, items) if items else False
        hides = hides or tag in HIDDEN_ELEMENTS or node in self.hidden_by_sheets
        self.hiding.append(hides)
        if hides:
            self.hidden_depth += 1
            self.hidden.append("\n")
        self.open_block(tag)
        self.add(node.text)

    def end(self, tag: str, tail: str | None) -> None:
        hides = self.hiding.pop()
        if tag not in NOT_TEXT:
            self.close_block(tag)
        if hides:
            self.hidden.append("\n")
            self.hidden_depth -= 1
        self.add(tail)

    def open_block(self, tag: str) -> None:
        if tag == "pre":
            self.pre_depth += 1
        if self.hidden_depth or tag not in _TABLE_TAGS:
            if tag in BLOCKS or tag in _BREAKS:
                self.target().append(" " if self.in_cell() and not self.hidden_depth else "\n")
        elif tag == "table":
            self.open_tables.append(_Cells())
        elif self.open_tables and tag == "tr":
            self.open_tables[-1].rows.append([])
        elif self.open_tables and tag in ("td", "th"):
            table = self.open_tables[-1]
            if not table.rows:
                table.rows.append([])
            table.cell = []
            table.rows[-1].append(table.cell)

    def close_block(self, tag: str) -> None:
        if tag == "pre":
            self.pre_depth -= 1
        if self.hidden_depth or tag not in _TABLE_TAGS:
            if tag in BLOCKS or tag in _BREAKS:
                self.target().append(" " if self.in_cell() and not self.hidden_depth else "\n")
        elif tag == "table" and self.open_tables:
            table = self.open_tables.pop().table()
            if table is not None:
                self.tables.append(table)
            self.target().append("\n")
        elif self.open_tables and tag in ("td", "th"):
            self.open_tables[-1].cell = None

    def attributes(self, tag: str, items: list[tuple[str, str]]) -> bool:
        """Keep the hidden text of ``items`` (an element's attributes); True when they hide
        the element (``hidden``, or a hiding inline style)."""
        hides = False
        for name, value in items:
            if name in HIDDEN_ATTRIBUTES or (name == "content" and tag == "meta"):
                if value.strip():
                    self.hidden.append(f"\n{value}\n")
            elif name == "style":
                self.hidden.extend(css_content_strings(value))
                hides = hides or bool(HIDING_STYLE.search(value))
            elif name == "hidden":
                hides = True
            if "data:" in value:
                self.data_uris(value)
        return hides

    def comment(self, text: str) -> None:
        """A comment is hidden text; markup in it (Outlook's ``<!--[if mso]>`` blocks) is
        rendered, so a number split by tags there still reads as one."""
        if "<" in text and self.data_depth < _MAX_DATA_DEPTH:
            text = _all_text(text, self.data_depth + 1)
        self.hidden.append(f"\n{text}\n")

    def data_uris(self, text: str) -> None:
        for decoded in data_uri_texts(text, self.data_depth):
            self.hidden.append(f"\n{decoded}\n")


def css_content_strings(css: str) -> Iterator[str]:
    """The strings of ``content:`` declarations, CSS escapes (``\\31 23``) decoded."""
    for m in _CSS_CONTENT.finditer(css):
        yield "\n" + _CSS_ESCAPE.sub(_css_unescape, m.group(1) or m.group(2) or "") + "\n"


def _css_unescape(m: re.Match[str]) -> str:
    if m.group(1):
        code = int(m.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else ""
    return m.group(2)


def data_uri_texts(text: str, depth: int = 0) -> Iterator[str]:
    """The text inside each ``data:`` URI in ``text`` whose type is text (``text/*``, SVG,
    or none given); HTML and SVG are rendered, their hidden text included."""
    for m in _DATA_URI.finditer(text):
        mime = (m.group(1) or "text/plain").lower()
        if not (mime.startswith("text/") or mime == "image/svg+xml"):
            continue
        data = _data_bytes(m.group(4), bool(m.group(3)))
        if data is None:
            continue
        decoded = data.decode("utf-8", "replace")
        if mime in ("text/html", "image/svg+xml") and depth < _MAX_DATA_DEPTH:
            decoded = _all_text(decoded, depth + 1)
        yield decoded


def _all_text(markup: str, depth: int) -> str:
    """Shown text, table rows and hidden text of ``markup``, as one text."""
    inner = render_html(markup, depth)
    rows = ["\t".join(row) for table in inner.tables for row in table.rows]
    return "\n".join(part for part in (inner.text, *rows, inner.hidden) if part)


def _data_bytes(payload: str, is_base64: bool) -> bytes | None:
    raw = unquote_to_bytes(payload)
    if not is_base64:
        return raw
    try:
        return base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=False)
    except (binascii.Error, ValueError):
        return None


def _lines(text: str) -> str:
    """Lines stripped, blank ones dropped; a no-break space shown as the space it is."""
    lines = (s.strip(" ") for s in text.replace("\xa0", " ").split("\n"))
    return "\n".join(line for line in lines if line)


def _hidden_lines(pieces: list[str]) -> Iterator[str]:
    for raw in "".join(pieces).split("\n"):
        line = _SPACES.sub(" ", raw).strip(" ")
        if line:
            yield line

"""Word documents (.docx .docm .dotx .dotm), read from their XML with lxml.

The body (with tracked insertions, content controls and field results) is the text; tables
are tables. Every other place a reader of the document can see, or that the file carries
for anyone who opens it, is a passage named after its place: headers and footers of every
section, footnotes, endnotes, comments, text boxes (DrawingML and VML, in groups and in
``mc:AlternateContent``, each read once), tracked deletions, field codes, image
descriptions, charts, SmartArt, building blocks and document properties. Embedded objects
go back to the walker as members.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from piigate.extract.content import Blob, Content, Passage
from piigate.extract.limits import Budget
from piigate.extract.ooxml import (
    Element,
    attribute,
    detach,
    drawing_passages,
    embedded_objects,
    image_descriptions,
    local,
    open_package,
    passage,
    properties,
)
from piigate.model import Table

_STORIES = (
    # content type ending → place
    ("wordprocessingml.header+xml", "headers"),
    ("wordprocessingml.footer+xml", "footers"),
    ("wordprocessingml.footnotes+xml", "footnotes"),
    ("wordprocessingml.endnotes+xml", "endnotes"),
    ("wordprocessingml.comments+xml", "comments"),
    ("document.glossary+xml", "building blocks"),
)
_NOT_TEXT = frozenset({"pPr", "rPr", "sectPr", "tblPr", "tcPr", "trPr", "tblGrid", "sdtPr"})


@dataclass(slots=True)
class _Story:
    """What one story (the body, a header, the footnotes ...) holds, by place."""

    lines: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    boxes: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    def passages(self) -> list[Passage]:
        return [
            passage("text boxes", self.boxes),
            passage("tracked deletions", self.deleted),
            passage("field codes", self.codes),
            passage("image descriptions", self.images),
        ]

    def take_places(self, other: _Story) -> None:
        """Keep ``other``'s text boxes, deletions, field codes and image descriptions."""
        self.boxes.extend(other.boxes)
        self.deleted.extend(other.deleted)
        self.codes.extend(other.codes)
        self.images.extend(other.images)


def read_docx(blob: Blob, budget: Budget) -> Content:
    package = open_package(blob, budget)
    body = _Story()
    _read_story(package.xml(package.main()), body)
    content = Content(text="\n".join(body.lines), tables=body.tables)
    for ending, place in _STORIES:
        lines = []
        for name in package.parts(ending):
            budget.check_time()
            story = _Story()
            _read_story(package.xml(name), story)
            lines.extend(story.lines)
            content.tables.extend(story.tables)
            body.take_places(story)
        content.passages.append(passage(place, lines))
    content.passages.extend(body.passages())
    content.passages.extend(drawing_passages(package))
    content.passages.append(properties(package))
    content.children.extend(embedded_objects(package, budget))
    return content


def _read_story(root: Element, story: _Story) -> None:
    """A story's paragraphs and tables, and its text boxes, innermost first (each is taken
    out of the tree once read, so its text is not read again with the paragraph around it)."""
    story.images.extend(image_descriptions(root))
    boxes = [e for e in root.iter() if local(e) == "txbxContent"]
    for box in reversed(boxes):
        inner = _Story()
        _blocks(box, inner)
        story.boxes.extend(inner.lines)
        story.tables.extend(inner.tables)
        story.take_places(inner)
        detach(box)
    _blocks(root, story)


def _blocks(container: Element, story: _Story) -> None:
    """Paragraphs and tables in document order, through content controls and the like."""
    for child in container:
        name = local(child)
        if name == "p":
            _paragraph(child, story)
        elif name == "tbl":
            story.tables.extend(_table(child, story))
        elif name not in _NOT_TEXT:
            _blocks(child, story)


def _paragraph(paragraph: Element, story: _Story) -> None:
    shown: list[str] = []
    deleted: list[str] = []
    codes: list[str] = []
    for element in paragraph.iter():
        name = local(element)
        if name == "t":
            shown.append(element.text or "")
        elif name == "delText":
            deleted.append(element.text or "")
        elif name in ("instrText", "delInstrText"):
            codes.append(element.text or "")
        elif name == "fldSimple":
            codes.append(attribute(element, "instr"))
        elif name in ("tab", "br", "cr") and _in_run(element):
            shown.append("\t" if name == "tab" else "\n")
    story.lines.append("".join(shown))
    if deleted:
        story.deleted.append("".join(deleted))
    if codes:
        story.codes.append("".join(codes))


def _in_run(element: Element) -> bool:
    parent = element.getparent()
    return parent is not None and local(parent) == "r"


def _table(table: Element, story: _Story) -> Iterator[Table]:
    """One table (a row per ``w:tr``, a cell per grid column it spans); tables nested in
    its cells are tables of their own."""
    rows = []
    for row in _own(table, "tr"):
        cells: list[str] = []
        for cell in _own(row, "tc"):
            inner = _Story()
            _blocks(cell, inner)
            yield from inner.tables
            story.take_places(inner)
            cells.extend(["\n".join(inner.lines)] * _span(cell))
        rows.append(tuple(cells))
    yield Table("", tuple(rows))


def _span(cell: Element) -> int:
    """How many grid columns a cell spans (``w:gridSpan``), so later cells keep their column."""
    span = next((attribute(e, "val") for e in cell.iter() if local(e) == "gridSpan"), "1")
    return min(int(span), 64) if span.isdigit() and int(span) > 0 else 1


def _own(element: Element, name: str) -> Iterator[Element]:
    """Descendants named ``name`` that belong to ``element``, not to a table nested in it."""
    for child in element:
        child_name = local(child)
        if child_name == name:
            yield child
        elif child_name != "tbl":
            yield from _own(child, name)

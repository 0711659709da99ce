"""PowerPoint presentations (.pptx .pptm .potx .potm .ppsx .ppsm), read from their XML with
lxml: each slide's text (grouped shapes included) in deck order, its tables as tables; then
speaker notes, comments (classic and modern), slide masters, layouts and notes and handout
masters, charts, SmartArt, image descriptions and document properties as passages named after
their place. Embedded objects go back to the walker as members.
"""

from __future__ import annotations

from collections.abc import Iterator

from piigate.extract.content import Blob, Content, Passage
from piigate.extract.limits import Budget
from piigate.extract.ooxml import (
    Element,
    Package,
    attribute,
    detach,
    drawing_passages,
    embedded_objects,
    image_descriptions,
    local,
    open_package,
    paragraphs,
    part_passage,
    passage,
    properties,
)
from piigate.model import Table

_SLIDE = "presentationml.slide+xml"
_MASTERS = (
    "presentationml.slideMaster+xml",
    "presentationml.slideLayout+xml",
    "presentationml.notesMaster+xml",
    "presentationml.handoutMaster+xml",
)
_COMMENTS = ("presentationml.comments+xml", "ms-powerpoint.comments+xml")


def read_pptx(blob: Blob, budget: Budget) -> Content:
    package = open_package(blob, budget)
    content = Content()
    lines: list[str] = []
    images: list[str] = []
    for number, name in enumerate(_slides_in_order(package), start=1):
        budget.check_time()
        slide = package.xml(name)
        images.extend(image_descriptions(slide))
        content.tables.extend(_tables(slide, f"slide {number}"))
        lines.append(paragraphs(slide))
    content.text = "\n".join(line for line in lines if line)
    content.passages.extend(_places(package))
    content.passages.append(passage("image descriptions", images))
    content.passages.extend(drawing_passages(package))
    content.passages.append(properties(package))
    content.children.extend(embedded_objects(package, budget))
    return content


def _slides_in_order(package: Package) -> list[str]:
    """The slides as the deck shows them (``p:sldIdLst``), then any other slide part."""
    main = package.main()
    targets = package.relations(main)
    ordered = []
    for element in package.xml(main).iter():
        if local(element) == "sldId":
            rel = attribute(element, "id")
            if targets.get(rel, "") in package.types:
                ordered.append(targets[rel])
    return ordered + [name for name in package.parts(_SLIDE) if name not in ordered]


def _tables(slide: Element, name: str) -> Iterator[Table]:
    """Each table on the slide, taken out of it once read (its text is not slide text)."""
    for table in [e for e in slide.iter() if local(e) == "tbl"]:
        rows = tuple(
            tuple(paragraphs(cell) for cell in row if local(cell) == "tc")
            for row in table
            if local(row) == "tr"
        )
        yield Table(name, rows)
        detach(table)


def _places(package: Package) -> Iterator[Passage]:
    notes = package.parts("presentationml.notesSlide+xml")
    yield passage("notes", (paragraphs(package.xml(name)) for name in notes))
    yield part_passage(package, "comments", package.parts(*_COMMENTS), "text", "p")
    masters = package.parts(*_MASTERS)
    yield passage("slide masters and layouts", (paragraphs(package.xml(n)) for n in masters))

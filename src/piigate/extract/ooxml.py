"""Office Open XML packages: the parts of a .docx/.xlsx/.pptx (and every variant: macro-enabled,
template, slide show, binary workbook), found by the content type each part declares in
``[Content_Types].xml``, never by the file's extension.

This module holds what the three readers share: the package (held to the limits first), its
parts by content type, XML parsed without DTDs, entities or network, the text of named
elements, document properties, chart and SmartArt text, and the embedded objects, which go
back to the walker as members to read in turn (word/embeddings, xl/embeddings ...).
The readers themselves are extract/word.py, extract/excel.py and extract/powerpoint.py.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePosixPath

from lxml import etree

from piigate.errors import ExtractionError
from piigate.extract.archives import check_zip, open_zip
from piigate.extract.content import Blob, Passage
from piigate.extract.limits import Budget
from piigate.extract.media import media_images

Element = etree._Element

MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/main"
_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"

CHART = "drawingml.chart+xml"
DIAGRAM_DATA = "drawingml.diagramData+xml"
_PROPERTIES = ("core-properties+xml", "extended-properties+xml", "custom-properties+xml")

_MAIN_KINDS = (
    # the main part's content type → the reader: every OOXML variant (document, template,
    # macro-enabled, slide show) by its content type.
    ("sheet.binary", "xlsb"),
    ("wordprocessingml", "docx"),
    ("ms-word.", "docx"),
    ("spreadsheetml", "xlsx"),
    ("ms-excel.", "xlsx"),
    ("presentationml", "pptx"),
    ("ms-powerpoint.", "pptx"),
)
_NUMBER = re.compile(r"(\d+)")


def parse_xml(data: bytes) -> Element:
    """One XML part: no DTD loaded, no entity expanded, nothing fetched from the network."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_pis=True, huge_tree=False
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ExtractionError(f"broken XML in an Office document ({type(exc).__name__})") from exc


def local(element: Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def attribute(element: Element, name: str) -> str:
    """An attribute by its local name, whatever its namespace (``r:id``, ``w:val``)."""
    for key, value in element.attrib.items():
        if str(key).rpartition("}")[2] == name:
            return str(value)
    return ""


def all_text(element: Element) -> str:
    return "".join(str(text) for text in element.itertext())


def detach(element: Element) -> None:
    """Take ``element`` out of its tree, keeping the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def natural(name: str) -> tuple[object, ...]:
    """``slide10.xml`` after ``slide9.xml``."""
    return tuple(int(p) if p.isdigit() else p for p in _NUMBER.split(name))


@dataclass(slots=True)
class Package:
    """An OOXML package: its zip and each part's content type (``word/document.xml`` → ...)."""

    blob: Blob
    archive: zipfile.ZipFile
    types: dict[str, str]

    def parts(self, *endings: str) -> list[str]:
        """Names of the parts whose content type ends with one of ``endings``, in order."""
        found = [name for name, kind in self.types.items() if kind.endswith(endings)]
        return sorted(found, key=natural)

    def main(self) -> str:
        for name, kind in self.types.items():
            if kind.endswith((".main+xml", ".main")):
                return name
        raise ExtractionError("Office document without a main part")

    def read(self, name: str) -> bytes:
        return self.archive.read(name)

    def xml(self, name: str) -> Element:
        return without_fallbacks(parse_xml(self.archive.read(name)))

    def relations(self, name: str) -> dict[str, str]:
        """The part's relationships: id → target part name."""
        path = PurePosixPath(name)
        rels = str(path.parent / "_rels" / f"{path.name}.rels")
        if rels not in self.types:
            return {}
        targets = {}
        for rel in parse_xml(self.archive.read(rels)):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External" or not target:
                continue
            joined = target.lstrip("/") if target.startswith("/") else str(path.parent / target)
            targets[rel.get("Id", "")] = _normalise(joined)
        return targets


def _normalise(path: str) -> str:
    parts: list[str] = []
    for piece in path.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def open_package(blob: Blob, budget: Budget) -> Package:
    archive = open_zip(blob.data)
    check_zip(archive, budget)
    return Package(blob, archive, content_types(archive))


def content_types(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each part's content type: its Override, else the Default for its extension."""
    try:
        root = parse_xml(archive.read("[Content_Types].xml"))
    except KeyError as exc:
        raise ExtractionError("Office document without [Content_Types].xml") from exc
    defaults = {
        e.get("Extension", "").lower(): e.get("ContentType", "")
        for e in root.iter(f"{_TYPES_NS}Default")
    }
    overrides = {
        e.get("PartName", "").lstrip("/").lower(): e.get("ContentType", "")
        for e in root.iter(f"{_TYPES_NS}Override")
    }
    types = {}
    for name in archive.namelist():
        suffix = PurePosixPath(name).suffix.lstrip(".").lower()
        kind = overrides.get(name.lower()) or defaults.get(suffix)
        if kind and not name.endswith("/"):
            types[name] = kind
    return types


def package_kind(archive: zipfile.ZipFile) -> str | None:
    """``docx``, ``xlsx``, ``xlsb`` or ``pptx`` from the main part's content type, or None."""
    try:
        types = content_types(archive)
    except (ExtractionError, OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError):
        return None
    mains = [kind for kind in types.values() if kind.endswith((".main+xml", ".main"))]
    for main in mains:
        for marker, kind in _MAIN_KINDS:
            if marker in main:
                return kind
    return None


def without_fallbacks(root: Element) -> Element:
    """Keep one reading of each ``mc:AlternateContent`` (its first Choice, which Office
    shows), so a text box written both as DrawingML and as VML is read once."""
    for alternate in list(root.iter(f"{{{MC}}}AlternateContent")):
        choices = [c for c in alternate if local(c) == "Choice"]
        for extra in [c for c in alternate if local(c) == "Fallback"] if choices else []:
            alternate.remove(extra)
        for extra in choices[1:]:
            alternate.remove(extra)
    return root


def texts(root: Element, *names: str) -> Iterator[str]:
    """The text of every element whose local name is one of ``names``, in document order."""
    wanted = set(names)
    for element in root.iter():
        if local(element) in wanted:
            text = all_text(element).strip()
            if text:
                yield text


def paragraphs(root: Element, paragraph: str = "p") -> str:
    return "\n".join(texts(root, paragraph))


def passage(place: str, lines: Iterable[str]) -> Passage:
    return Passage(place, "\n".join(line for line in lines if line.strip()))


def part_passage(package: Package, place: str, names: Iterable[str], *tags: str) -> Passage:
    """The text of the ``tags`` elements of every part in ``names``, as one place."""
    return passage(place, (t for name in names for t in texts(package.xml(name), *tags)))


def drawing_passages(package: Package) -> list[Passage]:
    """Chart text (titles, labels and the cached series values) and SmartArt text."""
    return [
        part_passage(package, "charts", package.parts(CHART), "v", "t"),
        part_passage(package, "SmartArt", package.parts(DIAGRAM_DATA), "t"),
    ]


def image_descriptions(root: Element) -> Iterator[str]:
    """Alternative text of pictures and shapes (``descr`` and ``title`` of ``docPr``/``cNvPr``)."""
    for element in root.iter():
        if local(element) in ("docPr", "cNvPr"):
            for name in ("descr", "title"):
                value = (element.get(name) or "").strip()
                if value:
                    yield value


def properties(package: Package) -> Passage:
    """Document properties: core (title, author, keywords ...), app (company, manager, the
    titles of parts) and custom (each name and value)."""
    lines = []
    for name in package.parts(*_PROPERTIES):
        for element in package.xml(name).iter():
            text = (element.text or "").strip()
            if text and len(element) == 0:
                owner = next((a.get("name") for a in element.iterancestors() if a.get("name")), "")
                lines.append(f"{owner or local(element)}: {text}")
    return passage("properties", lines)


def embedded_objects(package: Package, budget: Budget) -> list[Blob]:
    """Objects embedded in the document (OLE objects and packages, embedded workbooks and
    documents) and its pictures (read by OCR), each a member for the walker to read with the
    same limits and depth."""
    members = []
    for name in sorted(package.types, key=natural):
        if "/embeddings/" not in f"/{name}":
            continue
        budget.check_time()
        budget.take_member()
        members.append(package.blob.child(name, package.read(name)))
    members.extend(media_images(package.blob, package.archive, budget))
    return members


def cell_text(value: object) -> str:
    """A cell value as the spreadsheet shows it: whole numbers without ``.0``, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def trim_row(cells: Iterable[str]) -> tuple[str, ...]:
    row = list(cells)
    while row and not row[-1]:
        row.pop()
    return tuple(row)


def trim_rows(rows: list[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    """Drop trailing empty rows (a row's number is its line, so earlier gaps stay)."""
    while rows and not rows[-1]:
        rows.pop()
    return tuple(rows)

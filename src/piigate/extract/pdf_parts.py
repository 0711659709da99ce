"""What a PDF holds besides the text on its pages, read with pypdf from the document's objects.

Read: AcroForm field values (``/V``, also of fields without an appearance stream; rich text
``/RV``; default values ``/DV``), XFA form data (the ``datasets`` and ``form`` packets),
annotation contents on every page (``/Contents``, ``/RC``, author ``/T``, subject ``/Subj``:
comments, FreeText, popups, markup) and link URIs, the document information dictionary, XMP
metadata, bookmark titles, and the files attached to the document (the EmbeddedFiles name
tree and FileAttachment annotations), which go back to the walker as members. Text in
optional-content (hidden) layers is on the page and read with it (PDFium's text layer
ignores visibility).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject, StreamObject

from piigate.extract.content import Blob, Content, Passage
from piigate.extract.embedded import add_member
from piigate.extract.html import html_to_text
from piigate.extract.limits import Budget
from piigate.extract.markup import read_xml
from piigate.extract.text import decode_text

_MAX_OUTLINE_ITEMS = 100_000
_MAX_FORM_FIELDS = 1_000_000
_SKIPPED_INFO_KEYS = frozenset({"/CreationDate", "/ModDate", "/Trapped"})


def read_parts(blob: Blob, reader: PdfReader, budget: Budget) -> Content:
    """Every place of ``reader``'s document listed above: text as passages named by their
    place (``form fields``), attached files as members."""
    parts = Content()
    texts = {
        "form fields": list(_form_fields(reader)),
        "annotations": list(_annotations(reader, budget)),
        "document information": list(_info(reader)),
        "bookmarks": list(_bookmarks(reader)),
    }
    for place, lines in texts.items():
        if lines:
            parts.passages.append(Passage(place, "\n".join(lines)))
    for place, xml in _xml_streams(reader):
        parts.passages.append(Passage(place, read_xml(Blob("", xml, "text/xml"), budget).text))
    seen: set[tuple[str, bytes]] = set()
    for name, data in _attached_files(reader):
        key = (name, hashlib.sha256(data).digest())
        if key not in seen:
            seen.add(key)
            add_member(parts, blob, budget, name, data)
    return parts


def _form_fields(reader: PdfReader) -> Iterator[str]:
    """``name: value`` of every field in the AcroForm's tree (``/Fields`` and ``/Kids``),
    named by its full name or its tooltip (``/TU``). Only the names and values are loaded,
    not the widgets' appearance streams (pypdf's ``get_fields`` loads those too)."""
    form = _dictionary(reader.root_object.get("/AcroForm"))
    pending = [("", item) for item in reversed(_array(form.get("/Fields")) if form else [])]
    seen: set[object] = set()
    while pending and len(seen) < _MAX_FORM_FIELDS:
        parent, item = pending.pop()
        node = _dictionary(item)
        if node is None or _key(item, node) in seen:
            continue
        seen.add(_key(item, node))
        name = _text(node.get("/T"))
        full = f"{parent}.{name}" if parent and name else parent or name
        label = _text(node.get("/TU")) or full
        for key in ("/V", "/RV", "/DV"):
            value = _text(node.get(key))
            if value:
                yield f"{label}: {value}"
        pending.extend((full, kid) for kid in reversed(_array(node.get("/Kids"))))


def _key(item: object, node: DictionaryObject) -> object:
    """What identifies a node of an object tree: its object number when it is indirect."""
    if isinstance(item, IndirectObject):
        return (item.idnum, item.generation)
    return id(node)


def _dictionary(value: object) -> DictionaryObject | None:
    value = value.get_object() if isinstance(value, PdfObject) else value
    return value if isinstance(value, DictionaryObject) else None


def _array(value: object) -> list[PdfObject]:
    value = value.get_object() if isinstance(value, PdfObject) else value
    return list(value) if isinstance(value, ArrayObject) else []


def _annotations(reader: PdfReader, budget: Budget) -> Iterator[str]:
    for number, page in enumerate(reader.pages, start=1):
        budget.check_time()
        for annotation in _annotation_dicts(page):
            subtype = str(annotation.get("/Subtype", "/Annot")).lstrip("/")
            if subtype == "Widget":
                continue  # a form field's widget: its value is read with the form
            values = [_text(annotation.get(key)) for key in ("/T", "/Subj", "/Contents")]
            rich = _text(annotation.get("/RC"))  # XHTML: the same comment, formatted
            values.append(html_to_text(rich) if rich else "")
            action = annotation.get("/A")
            if isinstance(action, DictionaryObject):
                values.append(_text(action.get("/URI")))
            text = " ".join(value for value in values if value)
            if text:
                yield f"page {number} {subtype}: {text}"


def _annotation_dicts(page: DictionaryObject) -> Iterator[DictionaryObject]:
    annotations = page.get("/Annots")
    annotations = annotations.get_object() if annotations is not None else None
    if not isinstance(annotations, ArrayObject):
        return
    for item in annotations:
        annotation = item.get_object()
        if isinstance(annotation, DictionaryObject):
            yield annotation


def _info(reader: PdfReader) -> Iterator[str]:
    for key, value in (reader.metadata or {}).items():
        text = _text(value)
        if key not in _SKIPPED_INFO_KEYS and text:
            yield f"{key.lstrip('/')}: {text}"


def _bookmarks(reader: PdfReader) -> Iterator[str]:
    """Titles of the outline tree (``/First`` and ``/Next``), walked here: pypdf's own outline
    reader logs a cycle with the item, title included, in its message."""
    outlines = _dictionary(reader.root_object.get("/Outlines"))
    pending = [outlines.get("/First")] if outlines is not None else []
    seen: set[object] = set()
    while pending and len(seen) < _MAX_OUTLINE_ITEMS:
        item = pending.pop()
        node = _dictionary(item)
        if node is None or _key(item, node) in seen:
            continue
        seen.add(_key(item, node))
        title = _text(node.get("/Title"))
        if title:
            yield title
        pending.extend(link for link in (node.get("/Next"), node.get("/First")) if link)


def _xml_streams(reader: PdfReader) -> Iterator[tuple[str, bytes]]:
    """XFA form data and XMP metadata: XML, read as XML (element text and attributes)."""
    for name, data in (reader.xfa or {}).items():
        if name in ("datasets", "form") and data:
            yield f"XFA {name}", bytes(data)
    metadata = reader.root_object.get("/Metadata")
    metadata = metadata.get_object() if metadata is not None else None
    if isinstance(metadata, StreamObject):
        yield "XMP metadata", metadata.get_data()


def _attached_files(reader: PdfReader) -> Iterator[tuple[str, bytes]]:
    for embedded in reader.attachment_list:
        yield embedded.name, embedded.content
    for page in reader.pages:
        for annotation in _annotation_dicts(page):
            if annotation.get("/Subtype") == "/FileAttachment":
                found = _file_of(annotation.get("/FS"))
                if found is not None:
                    yield found


def _file_of(spec: PdfObject | None) -> tuple[str, bytes] | None:
    """The name and bytes of a file specification's embedded file (``/EF /F`` or ``/UF``)."""
    spec = spec.get_object() if spec is not None else None
    if not isinstance(spec, DictionaryObject):
        return None
    files = spec.get("/EF")
    files = files.get_object() if files is not None else None
    if not isinstance(files, DictionaryObject):
        return None
    stream = files.get("/UF") or files.get("/F") or files.get("/DOS") or files.get("/Unix")
    stream = stream.get_object() if stream is not None else None
    if not isinstance(stream, StreamObject):
        return None
    name = _text(spec.get("/UF")) or _text(spec.get("/F")) or "attached-file"
    return name, stream.get_data()


def _text(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "get_object"):
        value = value.get_object()
    if isinstance(value, StreamObject):
        return _decoded(value.get_data())
    if isinstance(value, list):
        return " ".join(_text(item) for item in value)
    if isinstance(value, bytes):
        return _decoded(value)
    text = str(value)
    return "" if text.startswith("/") and " " not in text else text.strip()


def _decoded(data: bytes) -> str:
    return decode_text(data, None)

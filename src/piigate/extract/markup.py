"""Readers for text formats: plain text, HTML, CSV/TSV, JSON, XML and RTF."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from xml.etree import ElementTree

from striprtf.striprtf import rtf_to_text

from piigate.extract.content import Blob, Content
from piigate.extract.html import render_html
from piigate.extract.limits import Budget
from piigate.extract.rtf_objects import read_objects
from piigate.extract.tables import read_delimited
from piigate.extract.text import decode_text
from piigate.model import Grade, Segment


def read_text(blob: Blob, budget: Budget) -> Content:
    return Content(text=decode_text(blob.data, blob.charset))


def read_html_blob(blob: Blob, budget: Budget) -> Content:
    """The text as a mail client shows it, its tables, and its hidden text (screened as a
    segment of its own: ``<where> (hidden text of the HTML)``)."""
    rendered = render_html(decode_text(blob.data, blob.charset))
    content = Content(text=rendered.text, tables=rendered.tables)
    if rendered.hidden.strip():
        where = hidden_where(blob.where)
        content.placed.append(Segment(where, rendered.hidden, Grade.PLAINTEXT, hidden=True))
    return content


def hidden_where(where: str) -> str:
    """The place of the hidden text of an HTML part at ``where``."""
    return f"{where} (hidden text of the HTML)"


def read_table(blob: Blob, budget: Budget) -> Content:
    return Content(tables=[read_delimited(decode_text(blob.data, blob.charset))])


def read_json(blob: Blob, budget: Budget) -> Content:
    """JSON as ``path: value`` lines, so a key (``ssn``) stands next to its value; text that
    is not valid JSON is read as plain text."""
    text = decode_text(blob.data, blob.charset)
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return Content(text=text)
    return Content(text="\n".join(_json_lines(document, "")))


def _json_lines(node: object, path: str) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _json_lines(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _json_lines(value, f"{path}[{index}]")
    else:
        yield f"{path}: {node}" if path else str(node)


def read_xml(blob: Blob, budget: Budget) -> Content:
    """Element text and attribute values, one element per line (``tag: text``); markup that
    is not well-formed XML is read as text."""
    text = decode_text(blob.data, blob.charset)
    try:
        root = ElementTree.fromstring(text)  # noqa: S314  (expat refuses entity expansion bombs)
    except ElementTree.ParseError:
        return Content(text=text)
    lines = []
    for element in root.iter():
        tag = str(element.tag).rpartition("}")[2]
        values = [v for v in element.attrib.values() if v.strip()]
        if element.text and element.text.strip():
            values.append(element.text.strip())
        if element.tail and element.tail.strip():
            values.append(element.tail.strip())
        if values:
            lines.append(f"{tag}: {' '.join(values)}")
    return Content(text="\n".join(lines))


def read_rtf(blob: Blob, budget: Budget) -> Content:
    """The document's text; objects embedded in it (``\\objdata``) become its members."""
    objects = read_objects(blob, budget)
    text = rtf_text(decode_text(blob.data, None))
    return Content(text=text, children=objects.children, defects=objects.defects)


_SHOWN_GROUPS = re.compile(
    r"\\(?:\*\\)?(?:header[lrf]?|footer[lrf]?|footnote|annotation|shp|shpinst|shptxt"
    r"|dptxbxtext|info)(?![A-Za-z])"
)
_SHOWN_PROPERTIES = re.compile(
    r"\{\\(?:title|subject|author|operator|keywords|comment|doccomm|company|manager|category)"
    r"(?![A-Za-z]) ?((?:[^{}\\]|\\.)*)\}"
)
"""Destinations striprtf skips whose text Word shows or keeps with the document: headers and
footers, footnotes, comments, text boxes (shape and drawing-object text) and the document
properties. Their control word is replaced by a paragraph break, so their text is read as a
paragraph of its own; a property group (no nested groups) ends with one too."""


def rtf_text(rtf: str) -> str:
    """The text of an RTF document (striprtf), including headers, footers, footnotes,
    comments, text boxes and document properties."""
    shown = _SHOWN_PROPERTIES.sub(lambda match: "{\\par " + match[1] + "\\par}", rtf)
    shown = _SHOWN_GROUPS.sub("\\\\par ", shown)
    return str(rtf_to_text(shown, errors="ignore"))  # type: ignore[no-untyped-call]

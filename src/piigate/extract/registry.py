"""The extraction table: sniff each part's kind, then read it with the one reader for that kind.

kind        how it is recognised                       what is read
table       text bytes named .csv/.tsv or typed so      rows of cells (csv module)
html        text/html, or an .htm(l) attachment         the visible text
text        any part whose bytes are text               the decoded text
image       image/* whose bytes are not text            nothing (not inspected)
(other)     anything else                               a blocking Defect: unreadable
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from piigate.extract.html import html_to_text
from piigate.extract.tables import read_delimited
from piigate.extract.text import decode_text, looks_like_text
from piigate.model import Attachment, Defect, Extraction, Grade, ParsedMessage, Part, Segment

Reader = Callable[[Part], Segment]

_HTML_SUFFIXES = frozenset({".htm", ".html"})
_TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".tab"})
_TABLE_TYPES = frozenset({"text/csv", "text/tab-separated-values", "application/csv"})


def _read_text(part: Part) -> Segment:
    return Segment(part.where, decode_text(part.payload, part.charset))


def _read_html(part: Part) -> Segment:
    return Segment(part.where, html_to_text(decode_text(part.payload, part.charset)))


def _read_table(part: Part) -> Segment:
    table = read_delimited(decode_text(part.payload, part.charset))
    return Segment(part.where, "", tables=(table,))


READERS: dict[str, Reader] = {"text": _read_text, "html": _read_html, "table": _read_table}


def sniff(part: Part) -> str:
    suffix = PurePath(part.filename).suffix.lower() if part.filename else ""
    is_text = looks_like_text(part.payload)
    if is_text and (part.content_type == "text/html" or suffix in _HTML_SUFFIXES):
        return "html"
    if is_text and (part.content_type in _TABLE_TYPES or suffix in _TABLE_SUFFIXES):
        return "table"
    if is_text:
        return "text"
    if part.content_type.startswith("image/"):
        return "image"
    return "unknown"


def extract(message: ParsedMessage) -> Extraction:
    segments: list[Segment] = []
    attachments: list[Attachment] = []
    defects = list(message.defects)
    for part in message.parts:
        kind = sniff(part)
        reader = READERS.get(kind)
        grade = Grade.PLAINTEXT if kind in READERS or kind == "image" else Grade.UNREADABLE
        if reader is not None:
            try:
                segments.append(reader(part))
            except Exception as exc:  # any reader failing on hostile bytes: unreadable, never clean
                defects.append(Defect(part.where, f"cannot read: {type(exc).__name__}"))
                grade = Grade.UNREADABLE
        elif kind != "image":
            defects.append(Defect(part.where, f"cannot read {part.content_type} content"))
        if part.is_attachment:
            attachments.append(
                Attachment(
                    name=part.filename or f"part-{part.index}",
                    content_type=part.content_type,
                    size=len(part.payload),
                    grade=grade,
                    inspected=reader is not None,
                )
            )
    return Extraction(tuple(segments), tuple(attachments), tuple(defects))

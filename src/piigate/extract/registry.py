"""The extraction table: sniff each part's kind, then read it with the one reader for that kind.

kind        how it is recognised                       what is read
html        text/html, or an .htm(l) attachment         the visible text
text        any part whose bytes are text               the decoded text
image       image/* whose bytes are not text            nothing (not inspected)
(other)     anything else                               a blocking Defect: unreadable
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from piigate.extract.html import html_to_text
from piigate.extract.text import decode_text, looks_like_text
from piigate.model import Attachment, Defect, Extraction, Grade, ParsedMessage, Part, Segment

Reader = Callable[[Part], str]

_HTML_SUFFIXES = frozenset({".htm", ".html"})


def _read_text(part: Part) -> str:
    return decode_text(part.payload, part.charset)


def _read_html(part: Part) -> str:
    return html_to_text(decode_text(part.payload, part.charset))


READERS: dict[str, Reader] = {"text": _read_text, "html": _read_html}


def sniff(part: Part) -> str:
    suffix = PurePath(part.filename).suffix.lower() if part.filename else ""
    is_text = looks_like_text(part.payload)
    if is_text and (part.content_type == "text/html" or suffix in _HTML_SUFFIXES):
        return "html"
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
            segments.append(Segment(part.where, reader(part), grade))
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

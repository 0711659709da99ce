"""A safe preview of a held message for the analyst: its text body, and its HTML body
sanitised by Ammonia (nh3) down to block structure — no scripts, no styles, no links, no
images or other remote content, no inline markup that could split a number — with every
value the recognizers find masked and highlighted. Also, for mail held before the gate kept
each finding's context (``piigate.detect.context``), each body finding's masked line.

Built on demand from the sealed message (decrypted in memory, never written), at most
``PREVIEW_CHARS`` of each body.
"""

from __future__ import annotations

import email
import email.policy
import html
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import nh3

from piigate.detect import Detector
from piigate.detect.context import trimmed_round

PREVIEW_CHARS = 100_000
BLOCK_TAGS = {
    "p", "br", "div", "ul", "ol", "li", "table", "thead", "tbody", "tr", "td", "th",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr",
}  # fmt: skip
"""What the preview keeps of an HTML body: structure only (every attribute is dropped)."""


@dataclass(frozen=True, slots=True)
class Piece:
    text: str
    masked: bool


@dataclass(frozen=True, slots=True)
class Preview:
    text: list[Piece]
    """The text body, in pieces; masked values flagged (the template highlights them)."""
    html: str
    """The HTML body sanitised and masked: safe to insert as it is."""
    masks: int
    truncated: bool
    context: dict[int, str]
    """Body line number → that line, masked and trimmed round the first mask."""


def build_preview(raw: bytes, detector: Detector) -> Preview:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    plain, truncated_plain = _body(message, "plain")
    markup, truncated_html = _body(message, "html")
    text, text_marks = detector.masked_text(plain)
    sanitised = nh3.clean(
        markup,
        tags=BLOCK_TAGS,
        clean_content_tags={"script", "style"},
        attributes={},
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )
    masked_html, html_marks = detector.masked_text(sanitised)
    return Preview(
        text=_pieces(text, text_marks),
        html=_highlighted(masked_html, html_marks),
        masks=len(text_marks) + len(html_marks),
        truncated=truncated_plain or truncated_html,
        context=_context(text, text_marks),
    )


def with_context(
    findings: tuple[dict[str, Any], ...], contexts: Sequence[str], preview: Preview | None
) -> list[dict[str, Any]]:
    """The findings, each with its masked ``context``: the one the gate stored when it held
    the message, wherever the finding was (body, attachment, table, OCR text); for mail held
    before contexts were kept, a body finding's masked line from the preview."""
    if len(contexts) == len(findings):
        return [{**f, "context": c} for f, c in zip(findings, contexts, strict=True)]
    if preview is None:
        return list(findings)
    return [
        {**f, "context": preview.context.get(int(f["line"]), "")} if f["where"] == "body" else f
        for f in findings
    ]


def _body(message: EmailMessage, kind: str) -> tuple[str, bool]:
    part = message.get_body((kind,))
    if part is None:
        return "", False
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken encoding
        return "", False
    text = str(content)
    return text[:PREVIEW_CHARS], len(text) > PREVIEW_CHARS


def _pieces(text: str, marks: list[tuple[int, int]]) -> list[Piece]:
    pieces, at = [], 0
    for start, end in marks:
        pieces += [Piece(text[at:start], False), Piece(text[start:end], True)]
        at = end
    return [*pieces, Piece(text[at:], False)]


def _highlighted(markup: str, marks: list[tuple[int, int]]) -> str:
    """Masks in ``<mark>``; the masks are escaped (they are the only text added)."""
    out, at = [], 0
    for start, end in marks:
        out += [markup[at:start], f"<mark>{html.escape(markup[start:end])}</mark>"]
        at = end
    return "".join([*out, markup[at:]])


def _context(text: str, marks: list[tuple[int, int]]) -> dict[int, str]:
    context: dict[int, str] = {}
    for start, stop in marks:
        line = text.count("\n", 0, start) + 1
        if line in context:
            continue
        begin = text.rfind("\n", 0, start) + 1
        end = text.find("\n", start)
        whole = text[begin : end if end >= 0 else len(text)]
        context[line] = trimmed_round(whole, start - begin, stop - start)
    return context

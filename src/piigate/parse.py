"""parse: raw message bytes → ParsedMessage (leaf parts, transfer encodings undone).

The stdlib ``email`` package with its modern policy does the MIME work. Its defects are
collected as data: a repaired structure is a note, a part whose payload cannot be decoded
is a blocking defect (the content is unscannable, never clean).
"""

from __future__ import annotations

import email
import email.errors
import email.policy
from email.message import EmailMessage, Message
from email.utils import getaddresses
from typing import Any

from piigate.config import ExtractionSettings
from piigate.model import Defect, ParsedMessage, Part

# Leave header values long enough for encoded words and RFC 2231 names, but refuse pathology.
_POLICY = email.policy.default.clone(max_line_length=None)


class _HeaderOnce(EmailMessage):
    """An ``EmailMessage`` that parses each header value (with the policy's header registry)
    once: the stdlib parses it again on every read, and Content-Type alone is read about a
    dozen times per part while parsing and walking. A cached value is used only while the
    raw value it came from is still the one in the message."""

    def get(self, name: str, failobj: Any = None) -> Any:
        wanted = name.lower()
        for key, raw in self.raw_items():
            if key.lower() == wanted:
                known = self._parsed_headers.get(wanted)
                if known is not None and known[0] is raw:
                    return known[1]
                value = self.policy.header_fetch_parse(key, raw)
                self._parsed_headers[wanted] = (raw, value)
                return value
        return failobj

    @property
    def _parsed_headers(self) -> dict[str, tuple[Any, Any]]:
        cache: dict[str, tuple[Any, Any]] | None = self.__dict__.get("_piigate_parsed")
        if cache is None:
            cache = self.__dict__["_piigate_parsed"] = {}
        return cache


def parse_message(raw: bytes, limits: ExtractionSettings | None = None) -> ParsedMessage:
    """Parse ``raw``; forwarded messages (message/rfc822) are walked into like any multipart.
    Past ``limits.max_parts`` MIME parts the rest is not read: a blocking defect."""
    max_parts = (limits or ExtractionSettings()).max_parts
    message = email.message_from_bytes(raw, _class=_HeaderOnce, policy=_POLICY)
    assert isinstance(message, EmailMessage)
    parts: list[Part] = []
    defects: list[Defect] = []
    try:
        for count, node in enumerate(message.walk(), start=1):
            if count > max_parts:
                defects.append(Defect("message", f"more than {max_parts} MIME parts"))
                break
            defects.extend(_defects_of(node, len(parts)))
            if node.is_multipart():
                continue
            parts.append(_leaf(node, len(parts), defects))
    except RecursionError:
        defects.append(Defect("message", "MIME structure nested too deeply to read"))
    return ParsedMessage(
        raw=raw,
        message_id=_header(message, "Message-ID"),
        subject=_header(message, "Subject"),
        header_from=_addresses(message, "From"),
        header_recipients=_addresses(message, "To", "Cc", "Bcc"),
        parts=tuple(parts),
        defects=tuple(defects),
        headers=_all_headers(message),
    )


def _leaf(node: Message, index: int, defects: list[Defect]) -> Part:
    filename = _filename(node, index, defects)
    disposition = node.get_content_disposition()
    is_attachment = disposition == "attachment" or filename is not None
    content_type = node.get_content_type()
    payload = node.get_payload(decode=True)
    if not isinstance(payload, bytes):
        # get_payload(decode=True) returns None only for multiparts; keep the raw text.
        raw = node.get_payload()
        payload = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    charset: str | None
    try:
        charset = node.get_content_charset()
    except (ValueError, LookupError):
        charset = None
    return Part(
        index=index,
        content_type=content_type,
        filename=filename,
        is_attachment=is_attachment or not content_type.startswith("text/"),
        payload=payload,
        charset=charset,
    )


def _filename(node: Message, index: int, defects: list[Defect]) -> str | None:
    try:
        name = node.get_filename()
    except (ValueError, LookupError, email.errors.HeaderParseError):
        defects.append(Defect(f"part #{index}", "unreadable attachment file name", blocking=False))
        return f"part-{index}"
    return str(name) if name else None


def _defects_of(node: Message, index: int) -> list[Defect]:
    where = f"part #{index}"
    found = []
    for defect in getattr(node, "defects", ()):
        name = type(defect).__name__
        # Base64 padding/character problems are repaired by the decoder: a note, not a block.
        found.append(Defect(where, f"MIME defect {name}", blocking=False))
    return found


def _all_headers(message: EmailMessage) -> tuple[tuple[str, str], ...]:
    """Every header as (name, unfolded raw value): no header-registry parse per field (the
    policy reads a few X- headers; decoded values come from ``_header``)."""
    return tuple((name, _unfold(value)) for name, value in message.raw_items())


def _unfold(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    return " ".join(text.split())


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, LookupError, email.errors.HeaderParseError):
        return ""
    return str(value).strip() if value is not None else ""


def _addresses(message: EmailMessage, *names: str) -> tuple[str, ...]:
    """Addresses from the raw header values (getaddresses copes with malformed ones)."""
    wanted = {n.lower() for n in names}
    values = [_unfold(v) for k, v in message.raw_items() if k.lower() in wanted]
    return tuple(addr for _, addr in getaddresses(values) if addr)

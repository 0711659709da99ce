"""parse: raw message bytes → ParsedMessage (leaf parts, transfer encodings undone).

The stdlib ``email`` package with its modern policy does the MIME work. Its defects are
collected as data: a repaired structure is a note, a part whose payload cannot be decoded
is a blocking defect (the content is unscannable, never clean).

Where a client could read the message another way, every reading is kept (``piigate.mime``):
text in a multipart's preamble and epilogue, each value of duplicate Content-Type/-Transfer-
Encoding headers, a transfer encoding however it is spelt, message/rfc822 sent base64 or
quoted-printable, uuencoded blocks inside text, iCalendar/vCard folds, format=flowed, and a
body line an MTA broke at 998 bytes. Headers and the parameters naming a part are kept as
text to screen (``ParsedMessage.names``). A structure too deep to parse is a blocking defect.
"""

from __future__ import annotations

import email
import email.errors
import email.parser
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email.message import EmailMessage, Message
from email.utils import getaddresses
from typing import Any

from piigate.config import ExtractionSettings
from piigate.mime import folds, readings
from piigate.mime.names import NOT_SCREENED, header_names, parameter_names
from piigate.model import Defect, ParsedMessage, Part

# Leave header values long enough for encoded words and RFC 2231 names, but refuse pathology.
_POLICY = email.policy.default.clone(max_line_length=None)
TOO_DEEP = "MIME structure nested too deeply to read"
_BOUNDARY = re.compile(rb"boundary\s*=", re.I)
_SUBJECT_SCREENED_APART = NOT_SCREENED | {"subject"}


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


MAX_READINGS = 64
"""Extra readings (of parts whose headers disagree, decoded forwards) per message: each is a
parse of its own, and nested ones multiply; past this the message is unscannable."""


@dataclass(slots=True)
class _Allowance:
    readings: int = MAX_READINGS


@dataclass(slots=True)
class _Reading:
    """What the walk collects."""

    settings: ExtractionSettings
    depth: int
    allowance: _Allowance
    parts: list[Part] = field(default_factory=list)
    defects: list[Defect] = field(default_factory=list)
    names: list[tuple[str, str]] = field(default_factory=list)
    attachments: int = 0


def parse_message(raw: bytes, limits: ExtractionSettings | None = None) -> ParsedMessage:
    """Parse ``raw``; forwarded messages (message/rfc822) are walked into like any multipart.
    Past ``limits.max_parts`` MIME parts the rest is not read: a blocking defect."""
    return _parse(raw, _Reading(limits or ExtractionSettings(), 0, _Allowance()))


def _parse(raw: bytes, reading: _Reading) -> ParsedMessage:
    """``reading.depth`` counts readings inside readings (a decoded forward), up to
    ``max_depth``; ``reading.allowance`` is shared by all of them."""
    max_parts = reading.settings.max_parts
    if _boundaries_over(raw, max_parts):
        # Each multipart is a part: past the limit without parsing (nested thousands deep,
        # parsing alone would take seconds and then fail).
        return _unparsed(raw, f"more than {max_parts} MIME parts")
    try:
        message = email.message_from_bytes(
            folds.unfold_smtp_lines(raw), _class=_HeaderOnce, policy=_POLICY
        )
    except RecursionError:
        return _unparsed(raw, TOO_DEEP)
    assert isinstance(message, EmailMessage)
    reading.names.extend(header_names(message, "", _SUBJECT_SCREENED_APART))
    try:
        _walk(message, reading)
    except RecursionError:
        reading.defects.append(Defect("message", TOO_DEEP))
    except Exception as exc:  # the stdlib failing on hostile bytes: unscannable, never a 451
        reading.defects.append(Defect("message", f"cannot read MIME: {type(exc).__name__}"))
    return _parsed(raw, message, reading.parts, reading.defects, reading.names)


def _boundaries_over(raw: bytes, limit: int) -> bool:
    """More than ``limit`` ``boundary=`` parameters in ``raw``. Counting the bare word first
    (a fast byte search) spares a large message the case-insensitive regular expression
    over all of its bytes, which holds the GIL against the event loop."""
    return raw.lower().count(b"boundary") > limit and len(_BOUNDARY.findall(raw)) > limit


def _unparsed(raw: bytes, reason: str) -> ParsedMessage:
    """A message whose MIME structure the parser cannot follow: its headers, no parts, and a
    blocking defect (a definite verdict, not a retry)."""
    headers = email.parser.BytesHeaderParser(_class=_HeaderOnce, policy=_POLICY).parsebytes(raw)
    assert isinstance(headers, EmailMessage)
    names = list(header_names(headers, "", _SUBJECT_SCREENED_APART))
    return _parsed(raw, headers, [], [Defect("message", reason)], names)


def _parsed(
    raw: bytes,
    message: EmailMessage,
    parts: list[Part],
    defects: list[Defect],
    names: list[tuple[str, str]],
) -> ParsedMessage:
    return ParsedMessage(
        raw=raw,
        message_id=_header(message, "Message-ID"),
        subject=_header(message, "Subject"),
        header_from=_addresses(message, "From"),
        header_recipients=_addresses(message, "To", "Cc", "Bcc"),
        parts=tuple(parts),
        defects=tuple(defects),
        headers=_all_headers(message),
        names=tuple(names),
    )


def _walk(message: EmailMessage, reading: _Reading) -> None:
    max_parts = reading.settings.max_parts
    for count, (node, attached) in enumerate(_nodes(message), start=1):
        if count > max_parts:
            reading.defects.append(Defect("message", f"more than {max_parts} MIME parts"))
            return
        reading.defects.extend(_defects_of(node, len(reading.parts)))
        if count > 1:
            reading.names.extend(header_names(node, f" of part #{count}", NOT_SCREENED))
        if node.is_multipart():
            _container(node, count, reading)
            continue
        _leaf_readings(node, reading, attached)


def _nodes(message: Message) -> Iterator[tuple[Message, int]]:
    """Every node of ``message`` in the order ``Message.walk`` gives them, each with the number
    of the innermost attached message (``message/rfc822`` and kin: a forward) it lies in; 0 for
    the message's own parts."""
    attached = 0
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        node, within = stack.pop()
        yield node, within
        children = node.get_payload()
        if not isinstance(children, list):
            continue
        if node.get_content_maintype() == "message":
            attached += 1
            within = attached
        stack.extend((child, within) for child in reversed(children) if isinstance(child, Message))


def _container(node: Message, number: int, reading: _Reading) -> None:
    """The text of a multipart around its parts, and the other readings of it."""
    for place, text in (("preamble", node.preamble), ("epilogue", node.epilogue)):
        if text and text.strip():
            payload = text.encode("utf-8", "surrogateescape")
            part = Part(len(reading.parts), "text/plain", None, False, payload, "utf-8")
            reading.parts.append(replace(part, place=f"{place} of part #{number}"))
    encoded = readings.encoded_message(node)
    if encoded is not None:
        _adopt(encoded, f"attached message of part #{number}, decoded", reading)
    plain = readings.as_plain_text(node)
    if plain is not None:
        _adopt(plain, f"part #{number} read as text", reading)


def _leaf_readings(node: Message, reading: _Reading, attached: int = 0) -> None:
    """The part ``node`` and its other readings; a body inside an attached message (number
    ``attached``) is placed as the body of that message."""
    index = len(reading.parts)
    part = _leaf(node, index, reading.defects)
    if attached and not part.is_attachment:
        part = replace(part, place=f"body of attached message #{attached}")
    if part.is_attachment:
        reading.attachments += 1
        reading.names.extend(parameter_names(node, f"attachment #{reading.attachments}"))
    elif node.get("content-description") is not None:
        reading.names.extend(parameter_names(node, f"body part #{index + 1}"))
    reading.parts.append(part)
    body = _encoded_body(node)
    for number, alternative in enumerate(readings.alternative_readings(node, body), start=2):
        _adopt(alternative, f"reading {number} of part #{index + 1}", reading)
    if part.content_type == "text/plain" and not part.is_attachment:
        for name, data in readings.uuencoded_blocks(part.payload):
            uu = Part(len(reading.parts), "application/octet-stream", name, True, data)
            reading.parts.append(uu)


def _adopt(raw: bytes, place: str, reading: _Reading) -> None:
    """Read ``raw`` (another reading of a part) as a message; keep its parts and names."""
    if reading.depth >= reading.settings.max_depth or reading.allowance.readings <= 0:
        reading.defects.append(Defect(place, "too many readings of ambiguous MIME to read all"))
        return
    reading.allowance.readings -= 1
    nested = _parse(raw, _Reading(reading.settings, reading.depth + 1, reading.allowance))
    reading.defects.extend(replace(d, where=f"{place}: {d.where}") for d in nested.defects)
    reading.names.extend((f"{where} in {place}", text) for where, text in nested.names)
    for part in nested.parts:
        label = part.place or ("" if part.is_attachment else place)
        reading.parts.append(replace(part, index=len(reading.parts), place=label))


def _encoded_body(node: Message) -> bytes:
    body = node.get_payload()
    return body.encode("utf-8", "surrogateescape") if isinstance(body, str) else b""


def _leaf(node: Message, index: int, defects: list[Defect]) -> Part:
    filename = _filename(node, index, defects)
    disposition = node.get_content_disposition()
    is_attachment = disposition == "attachment" or filename is not None
    content_type = node.get_content_type()
    payload = _payload(node)
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
        payload=_as_displayed(node, content_type, payload),
        charset=charset,
    )


def _payload(node: Message) -> bytes:
    """The part's bytes, its transfer encoding undone (however the encoding is spelt)."""
    declared = str(node.get("content-transfer-encoding", "")).lower()
    encoding = readings.transfer_encoding(declared)
    if encoding in readings.DECODED and encoding != declared:
        # Spelt in a way the stdlib does not decode: decode it as a lenient client would.
        return readings.decode_body(_encoded_body(node), encoding)
    payload = node.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    # get_payload(decode=True) returns None only for multiparts; keep the raw text.
    raw = node.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _as_displayed(node: Message, content_type: str, payload: bytes) -> bytes:
    """Folded calendar lines and flowed text joined as a client shows them."""
    if folds.is_calendar(content_type, payload):
        return folds.unfold_content_lines(payload)
    if (
        content_type == "text/plain"
        and "flowed" in str(node.get("content-type", "")).lower()  # cheap, before get_param
        and str(node.get_param("format", "")).lower() == "flowed"
    ):
        delete_space = str(node.get_param("delsp", "")).lower() == "yes"
        return folds.unflow(payload, delete_space)
    return payload


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

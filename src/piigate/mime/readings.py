"""Every reading of a part that clients may read more than one way.

- A transfer encoding however it is spelt (``"base64"``, ``base64;``, `` Base64 ``,
  ``x-base64``, ``x-uue``): the stdlib decodes only the exact token, clients are lenient.
- Duplicate Content-Type or Content-Transfer-Encoding headers: each combination of values.
- message/rfc822 with a base64 or quoted-printable encoding (forbidden, and read all the same).
- uuencoded blocks (``begin 644 name`` … ``end``) inside a text part: an attachment to many
  clients.

Each extra reading is handed back as the bytes of a message for ``parse_message`` to read
(its own headers and body), so every reading goes through the same parser.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from email.message import Message

_POLICY = email.policy.compat32

_SPELLINGS = {
    "base64": "base64",
    "x-base64": "base64",
    "quoted-printable": "quoted-printable",
    "x-quoted-printable": "quoted-printable",
    "uuencode": "x-uuencode",
    "x-uuencode": "x-uuencode",
    "uue": "x-uuencode",
    "x-uue": "x-uuencode",
}
DECODED = frozenset({"base64", "quoted-printable", "x-uuencode"})
_UU_BLOCK = re.compile(rb"^begin [0-7]{3,4} ([^\r\n]+)\r?\n.*?^end[ \t]*$", re.M | re.S)


def transfer_encoding(value: object) -> str:
    """A Content-Transfer-Encoding value as a lenient client reads it: ``7bit`` when none."""
    token = str(value or "").strip().split(";", 1)[0].strip().strip("\"'").strip().lower()
    return _SPELLINGS.get(token, token or "7bit")


def encodings_of(node: Message) -> list[str]:
    """Each distinct Content-Transfer-Encoding ``node`` declares, as read leniently."""
    values = [transfer_encoding(v) for k, v in node.raw_items() if k.lower() == _CTE]
    return list(dict.fromkeys(values)) or ["7bit"]


def content_types_of(node: Message) -> list[str]:
    """Each distinct Content-Type header value ``node`` declares (raw, unfolded)."""
    values = [" ".join(str(v).split()) for k, v in node.raw_items() if k.lower() == _CT]
    return list(dict.fromkeys(values))


_CT = "content-type"
_CTE = "content-transfer-encoding"


def decode_body(body: bytes, encoding: str) -> bytes:
    """``body`` with transfer ``encoding`` undone by the stdlib (lenient about bad input)."""
    carrier = email.message_from_bytes(
        b"Content-Transfer-Encoding: " + encoding.encode() + b"\n\n" + body, policy=_POLICY
    )
    payload = carrier.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else body


def alternative_readings(node: Message, body: bytes) -> Iterator[bytes]:
    """For a leaf whose headers disagree, a message for each reading past the first (the
    first is the one the stdlib made): every declared type with every declared encoding."""
    types = content_types_of(node)
    encodings = encodings_of(node)
    if len(types) < 2 and len(encodings) < 2:
        return
    combinations = [(t, e) for t in types or ["text/plain"] for e in encodings]
    for content_type, encoding in combinations[1:]:
        head = f"Content-Type: {content_type}\nContent-Transfer-Encoding: {encoding}\n\n"
        yield head.encode("utf-8", "surrogateescape") + body


def as_plain_text(node: Message) -> bytes | None:
    """A multipart whose duplicate Content-Type says it may also be plain text: that text."""
    if len(content_types_of(node)) < 2:
        return None
    try:
        text = node.as_string(policy=_POLICY)
    except (ValueError, LookupError, TypeError):
        return None
    body = text.split("\n\n", 1)[-1]
    return b"Content-Type: text/plain\n\n" + body.encode("utf-8", "surrogateescape")


def encoded_message(node: Message) -> bytes | None:
    """A message/* part sent with a base64/QP/uuencode transfer encoding: the message inside,
    decoded (the stdlib reads the encoded text itself as the attached message)."""
    encoding = transfer_encoding(node.get(_CTE))
    if encoding not in DECODED:
        return None
    inner = node.get_payload()
    if not isinstance(inner, list) or not inner or not isinstance(inner[0], Message):
        return None
    try:
        encoded = inner[0].as_bytes(policy=_POLICY)
    except (ValueError, LookupError, TypeError, UnicodeError):
        return None
    return decode_body(encoded, encoding)


def uuencoded_blocks(text: bytes) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of each uuencoded block inside a text part."""
    if b"begin " not in text:
        return
    for block in _UU_BLOCK.finditer(text):
        name = block.group(1).decode("utf-8", "replace").strip() or "uuencoded"
        yield name, decode_body(block.group(), "x-uuencode")

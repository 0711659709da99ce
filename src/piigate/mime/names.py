"""The text a recipient reads outside the bodies: headers (RFC 2047 decoded) and the MIME
parameters that name or describe a part (file names, RFC 2231 decoded; Content-Description).

Not screened: trace and signature headers that mail servers add (Received, DKIM/ARC
signatures, authentication results), and the MIME structure parameters (boundary, charset,
format, transfer encoding), which a client never shows.
"""

from __future__ import annotations

import email.errors
import email.header
import email.utils
from collections.abc import Iterator
from email.message import Message

NOT_SCREENED = frozenset(
    {
        "received",
        "received-spf",
        "dkim-signature",
        "domainkey-signature",
        "arc-seal",
        "arc-message-signature",
        "arc-authentication-results",
        "authentication-results",
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
        "mime-version",
        "content-description",
    }
)
"""Headers not screened as text (the parameters of Content-Type/-Disposition that name a
part are screened as its file name, Content-Description as the part's description)."""

_NAME_PARAMETERS = (("content-disposition", "filename"), ("content-type", "name"))


def decode_words(value: str) -> str:
    """``value`` with RFC 2047 encoded-words decoded, unfolded; as it is when they are broken."""
    text = " ".join(value.split())
    if "=?" not in text:
        return text
    try:
        decoded = str(email.header.make_header(email.header.decode_header(text)))
    except (ValueError, LookupError, UnicodeError, email.errors.HeaderParseError):
        return text
    return " ".join(decoded.split())


def header_names(node: Message, of: str, skip: frozenset[str]) -> Iterator[tuple[str, str]]:
    """(place, text) of every screened header of ``node``: ``header <Name><of>``."""
    for name, value in node.raw_items():
        if name.lower() in skip:
            continue
        yield f"header {name}{of}", f"{name}: {decode_words(str(value))}"


def parameter_names(node: Message, attachment: str) -> Iterator[tuple[str, str]]:
    """(place, text) of the file names (both parameters where both are given) and the
    Content-Description of one part, ``attachment`` naming it (``attachment #2``)."""
    seen: set[str] = set()
    for header, parameter in _NAME_PARAMETERS:
        name = _parameter(node, parameter, header)
        if name and name not in seen:
            seen.add(name)
            # Underscores stand between the words of a file name as a reader sees them.
            shown = " ".join(name.replace("_", " ").split())
            yield f"file name of {attachment}", f"file name: {shown}"
    description = node.get("content-description")
    if description is not None:
        text = decode_words(str(description))
        yield f"Content-Description of {attachment}", f"Content-Description: {text}"


def _parameter(node: Message, parameter: str, header: str) -> str | None:
    try:
        value = node.get_param(parameter, header=header)
    except (ValueError, LookupError, email.errors.HeaderParseError):
        return None
    if value is None:
        return None
    text = email.utils.collapse_rfc2231_value(value) if isinstance(value, tuple) else str(value)
    return decode_words(text) or None

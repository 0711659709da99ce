"""Encrypt on the sender's behalf ([ENCRYPT]): move every plaintext part that carries
sensitive PII (bodies included) into one AES-256 zip (pyzipper, WinZip AES), leave a short
cover note and the disclaimer in the body, and keep the other attachments as they were.

The password is random and strong; it goes to the sender in a separate notice, never in the
encrypted message.
"""

from __future__ import annotations

import email.policy
import email.utils
import io
import secrets
import string
from dataclasses import dataclass, field, replace
from email.message import EmailMessage

import pyzipper

from piigate.act.headers import copy_header
from piigate.extract.text import decode_text
from piigate.labels import mask_label
from piigate.model import Grade, Part, Screening

ARCHIVE_NAME = "protected.zip"
PASSWORD_ALPHABET = string.ascii_letters + string.digits + "!#%&*+-=?@^_"
PASSWORD_LENGTH = 20
_COPIED_HEADERS = (
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
)
_NAME_PLACES = ("file name of ", "Content-Description of ")


@dataclass(frozen=True, slots=True)
class Sealed:
    content: bytes = field(repr=False)
    password: str = field(repr=False)
    archive_name: str
    moved: tuple[str, ...]
    """The parts moved into the zip (``body``, ``subject``, attachment names)."""


def new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def seal(screening: Screening, disclaimer: str, encrypt_tag: str) -> Sealed:
    places = {f.where for f in screening.detection.findings if f.grade is Grade.PLAINTEXT}
    password = new_password()
    entries: dict[str, bytes] = {}
    kept: list[Part] = []
    body_text = ""
    for part in screening.message.parts:
        sensitive = part.where in places
        if sensitive and not part.is_attachment:
            name = "message.html" if part.content_type == "text/html" else "message.txt"
            entries[_unique(name, entries)] = part.payload
        elif sensitive:
            name = _safe_filename(part.filename or f"part-{part.index}")
            entries[_unique(name, entries)] = part.payload
        elif not part.is_attachment and part.content_type == "text/plain" and not body_text:
            body_text = decode_text(part.payload, part.charset)
        else:
            kept.append(part)  # other attachments, and further text parts, travel as they were
    subject = screening.message.subject.replace(encrypt_tag, "").strip()
    if "subject" in places:
        entries[_unique("subject.txt", entries)] = screening.message.subject.encode()
        subject = "Protected message"
    withheld = [name for name in _COPIED_HEADERS if f"header {name}" in places]
    if withheld:  # a header with PII travels in the zip; the envelope keeps what it must
        lines = [f"{name}: {screening.message.header(name)}" for name in withheld]
        entries[_unique("headers.txt", entries)] = ("\n".join(lines) + "\n").encode()
    if any(place.startswith(_NAME_PLACES) for place in places):
        kept = [replace(part, filename=mask_label(part.filename or "")) for part in kept]
    message = _rebuild(screening, subject, _cover(body_text, disclaimer), kept, set(withheld))
    message.add_attachment(
        _zip(entries, password), maintype="application", subtype="zip", filename=ARCHIVE_NAME
    )
    content = message.as_bytes(policy=email.policy.SMTP)
    return Sealed(content, password, ARCHIVE_NAME, tuple(sorted(places)))


def _cover(body_text: str, disclaimer: str) -> str:
    note = (
        f"The sensitive contents of this message are in the attached AES-256 encrypted zip "
        f"({ARCHIVE_NAME}). The sender will give you its password separately."
    )
    parts = [body_text.strip(), note] if body_text.strip() else [note]
    if " ".join(disclaimer.split()).lower() not in " ".join(body_text.split()).lower():
        parts.append(disclaimer)
    return "\n\n".join(parts) + "\n"


def _rebuild(
    screening: Screening, subject: str, body: str, kept: list[Part], withheld: set[str]
) -> EmailMessage:
    original = screening.message
    message = EmailMessage(policy=email.policy.SMTP)
    for name in _COPIED_HEADERS:
        value = original.header(name)
        if value and name in withheld:
            value = _without_pii(name, value)
        if value and not copy_header(message, name, value) and name == "Message-ID":
            message["Message-ID"] = email.utils.make_msgid()  # the sender's could not be kept
    if not copy_header(message, "Subject", subject):
        message["Subject"] = "Protected message"
    message.set_content(body)
    for part in kept:
        maintype, _, subtype = part.content_type.partition("/")
        message.add_attachment(
            part.payload,
            maintype=_token(maintype, "application"),
            subtype=_token(subtype, "octet-stream"),
            filename=_safe_filename(part.filename or f"part-{part.index}"),
        )
    return message


def _token(value: str, default: str) -> str:
    """A MIME type's half as a token (RFC 2045), or ``default``."""
    return value if value and all(c.isalnum() or c in "!#$&-^_.+" for c in value) else default


def _safe_filename(name: str) -> str:
    """A file name without controls (a sender's CR, LF or NUL would break the header, or the
    zip) and without folders (a zip entry ``../x`` would be written outside where it is
    unpacked)."""
    cleaned = "".join(c for c in name if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF)
    cleaned = cleaned.replace("/", "_").replace("\\", "_").strip().lstrip(".")
    return cleaned or "attachment"


def _without_pii(name: str, value: str) -> str | None:
    """A copied header PII was found in: addresses without their display names, a new
    Message-ID; the others (Date, In-Reply-To, References) are left out."""
    if name in ("From", "To", "Cc", "Reply-To"):
        return ", ".join(address for _, address in email.utils.getaddresses([value]) if address)
    if name == "Message-ID":
        return email.utils.make_msgid()
    return None


def _zip(entries: dict[str, bytes], password: str) -> bytes:
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password.encode())
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _unique(name: str, taken: dict[str, bytes]) -> str:
    candidate, counter = name, 1
    while candidate in taken:
        stem, dot, suffix = name.rpartition(".")
        candidate = f"{stem}-{counter}.{suffix}" if dot else f"{name}-{counter}"
        counter += 1
    return candidate

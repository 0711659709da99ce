"""Header fields of messages the gate passes on: remove one from a message in wire form
without re-serialising the rest (re-serialising could change the bytes and break
signatures), and copy a sender's header into a message the gate builds, safely."""

from __future__ import annotations

import email.policy
from email.message import EmailMessage


def without_header(raw: bytes, name: str) -> bytes:
    """``raw`` without every occurrence of header ``name`` (and its folded continuation
    lines). The body and every other header keep their exact bytes."""
    end = raw.find(b"\r\n\r\n")
    head, rest = (raw, b"") if end == -1 else (raw[: end + 2], raw[end + 2 :])
    wanted = name.lower().encode() + b":"
    kept: list[bytes] = []
    dropping = False
    for line in head.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and kept is not None:
            if not dropping:
                kept.append(line)
            continue
        dropping = line.lower().startswith(wanted)
        if not dropping:
            kept.append(line)
    return b"".join(kept) + rest


def copy_header(message: EmailMessage, name: str, value: str) -> bool:
    """Set ``name: value`` on a message the gate builds, when the email library can parse and
    serialise that value; otherwise set nothing and return False. A header the sender wrote
    (a malformed Message-ID, a stray CR or LF, an unparsable address) is the sender's: it
    must never make the gate fail."""
    if "\r" in value or "\n" in value:
        value = " ".join(value.split())
    policy = email.policy.SMTP
    try:
        folded = policy.fold_binary(name, policy.header_factory(name, value))
        if not _one_field(folded):
            return False  # an encoded CR LF the library would write out raw: an injection
        message[name] = value
    except Exception:  # the email library's parsers raise IndexError, ValueError, ...
        return False
    return True


def _one_field(folded: bytes) -> bool:
    """Whether ``folded`` is one header field: every line after the first is a folded
    continuation (starts with a space or tab), and no CR or LF stands alone."""
    lines = folded.split(b"\r\n")
    if lines[-1] != b"" or any(b"\r" in line or b"\n" in line for line in lines):
        return False
    return all(line[:1] in (b" ", b"\t") for line in lines[1:-1])

"""Decode text parts: declared charset first, then detection, never an exception."""

from __future__ import annotations

import codecs

import charset_normalizer

_SNIFF_BYTES = 8192


def decode_text(payload: bytes, declared: str | None) -> str:
    """Decode ``payload``: the declared charset if it is known and fits, else a detected one,
    else UTF-8 with replacement characters."""
    if declared and _known(declared):
        try:
            return payload.decode(declared)
        except UnicodeDecodeError:
            pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(payload).best()
    if best is not None:
        return str(best)
    return payload.decode("utf-8", errors="replace")


def looks_like_text(payload: bytes) -> bool:
    """True when the bytes are text in some charset (no NUL bytes, and decodable)."""
    head = payload[:_SNIFF_BYTES]
    if b"\x00" in head:
        return False
    if not head:
        return True
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sniff window is still UTF-8.
        if exc.start >= len(head) - 4 and len(payload) > _SNIFF_BYTES:
            return True
    return charset_normalizer.from_bytes(head).best() is not None


def _known(charset: str) -> bool:
    try:
        codecs.lookup(charset)
    except LookupError:
        return False
    return True

"""Remove one header field from a message in wire form without re-serialising the rest
(re-serialising could change the bytes and break signatures)."""

from __future__ import annotations


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

"""Text folded or flowed by a format or by a mail server, joined back the way a client
shows it.

- iCalendar and vCard content lines (RFC 5545 3.1, RFC 6350 3.2): CRLF followed by one
  space or tab continues the line; it is removed, also inside a number or a UTF-8 character.
- ``format=flowed`` (RFC 3676): a line ending in a space continues on the next line; with
  ``DelSp=yes`` that space was added by the sender's client and goes too. A line beginning
  with a space is space-stuffed: the first space goes.
- Postfix's ``smtp_line_length_limit`` (998 by default) breaks a longer line by inserting
  CRLF SP: the body a recipient's client renders joins it again (HTML renders the space
  away, and the number standing across it is read whole).
"""

from __future__ import annotations

import re

SMTP_LINE_LIMIT = 998
_CALENDAR_TYPES = frozenset(
    {"text/calendar", "text/vcard", "text/x-vcard", "text/directory", "application/ics"}
)
_CONTENT_LINE_FOLD = re.compile(rb"\r?\n[ \t]")
# A body line of at least 998 bytes continued on a line that starts with one space.
_SMTP_FOLD = re.compile(rb"(?m)^([^\r\n]{%d,})\r?\n " % SMTP_LINE_LIMIT)
_FLOWED_BREAK = re.compile(rb" \r?\n")


def is_calendar(content_type: str, payload: bytes) -> bool:
    """iCalendar or vCard content, by type or by its first line."""
    head = payload[:64].lstrip(b"\xef\xbb\xbf \t\r\n")[:16].upper()
    return content_type in _CALENDAR_TYPES or head.startswith((b"BEGIN:VCALENDAR", b"BEGIN:VCARD"))


def unfold_content_lines(payload: bytes) -> bytes:
    return _CONTENT_LINE_FOLD.sub(b"", payload)


def unflow(payload: bytes, delete_space: bool) -> bytes:
    """RFC 3676 4.2 (quoted lines are joined like others, the quote marks left as they are)."""
    unstuffed = b"\n".join(
        line[1:] if line.startswith(b" ") else line for line in payload.split(b"\n")
    )
    return _FLOWED_BREAK.sub(b"" if delete_space else b" ", unstuffed)


def unfold_smtp_lines(raw: bytes) -> bytes:
    """``raw`` with the CRLF SP that an MTA put into a body line past 998 bytes removed."""
    if len(raw) <= SMTP_LINE_LIMIT:
        return raw
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = raw.partition(b"\n\n")
    # Every fold is a newline then a space: without one (a base64 attachment has none) the
    # regular expression need not walk every line of a large message holding the GIL.
    if not sep or b"\n " not in body or not _SMTP_FOLD.search(body):
        return raw
    previous = None
    while previous != body:  # a line folded more than once: each fold starts a long line
        previous = body
        body = _SMTP_FOLD.sub(rb"\1", body)
    return head + sep + body

"""A large message relayed without holding the event loop.

aiosmtplib's ``sendmail`` prepares the DATA of a message in whole-message passes on the
event loop: line endings normalised to count the SIZE option, normalised again, dots
stuffed (three regular-expression passes over every byte, each one C call that holds the
GIL): on a 5 MB message, on a loaded 2-core machine, stalls of about 0.4 s in which no other
session moved. A message of ``SLICED_BYTES`` or more is relayed here instead: the same
transaction (MAIL with SIZE, RCPT, DATA) with the same wire form, prepared a slice of whole
lines at a time with the event loop running between slices, and sent with aiosmtplib's public
commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable

import aiosmtplib

SLICED_BYTES = 1 << 20
"""Messages of this size or more are prepared in slices."""
SLICE_BYTES = 1 << 18
"""About this much of the message per slice (cut after a line feed)."""

_LINE_ENDINGS = re.compile(rb"(?:\r\n|\n|\r(?!\n))")
_LEADING_DOT = re.compile(rb"(?m)^\.")
_DATA_STARTS = 354
_DATA_TAKEN = 250


async def wire_form(content: bytes, slice_bytes: int = SLICE_BYTES) -> tuple[bytes, int]:
    """``content`` as DATA sends it (CRLF line endings, leading dots doubled, ending
    ``CRLF.CRLF``) and its SIZE (RFC 1870: normalised, before dot-stuffing), the work done a
    slice at a time, yielding to the event loop between slices."""
    pieces: list[bytes] = []
    size = 0
    start = 0
    while start < len(content):
        cut = content.find(b"\n", start + slice_bytes) + 1 or len(content)
        piece = _LINE_ENDINGS.sub(b"\r\n", content[start:cut])
        if cut == len(content) and not piece.endswith(b"\r\n"):
            piece += b"\r\n"
        size += len(piece)
        pieces.append(_LEADING_DOT.sub(b"..", piece))
        start = cut
        await asyncio.sleep(0)
    if not pieces:  # an empty message is one empty line, as aiosmtplib sends it
        pieces, size = [b"\r\n"], 2
    pieces.append(b".\r\n")
    return b"".join(pieces), size


async def transact_in_slices(
    client: aiosmtplib.SMTP,
    sender: str,
    recipients: list[str],
    content: bytes,
    options: list[str],
    *,
    before_data: Callable[[], None],
) -> dict[str, aiosmtplib.SMTPResponse]:
    """What ``client.sendmail`` does, with the DATA prepared by ``wire_form``: the recipients
    refused while others were accepted; ``SMTPRecipientsRefused`` when all were.
    ``before_data`` is called just before the DATA command is sent."""
    wire, size = await wire_form(content)
    if client.is_ehlo_or_helo_needed:
        await client.ehlo()
    if client.supports_extension("size"):
        options = [f"size={size}", *options]
    utf8 = any(o.upper() == "SMTPUTF8" for o in options)
    encoding = "utf-8" if utf8 else "ascii"
    try:
        await client.mail(sender, options=options, encoding=encoding)
        refused = []
        for recipient in recipients:
            try:
                await client.rcpt(recipient, encoding=encoding)
            except aiosmtplib.SMTPRecipientRefused as exc:
                refused.append(exc)
        if len(refused) == len(recipients):
            raise aiosmtplib.SMTPRecipientsRefused(refused)
        before_data()
        await send_data(client, wire)
    except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
        with contextlib.suppress(ConnectionError, aiosmtplib.SMTPResponseException):
            await client.rset()
        raise
    return {r.recipient: aiosmtplib.SMTPResponse(r.code, r.message) for r in refused}


async def send_data(client: aiosmtplib.SMTP, wire: bytes) -> None:
    """DATA with ``wire`` as it goes on the wire (already normalised and dot-stuffed)."""
    start = await client.execute_command(b"DATA")
    if start.code != _DATA_STARTS:
        raise aiosmtplib.SMTPDataError(start.code, start.message)
    protocol = client.protocol
    if protocol is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    try:
        protocol.write(wire)
        reply = await protocol.read_response(timeout=client.timeout)
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError):
        client.close()  # the reply we gave up on must not answer a later command
        raise
    if reply.code != _DATA_TAKEN:
        raise aiosmtplib.SMTPDataError(reply.code, reply.message)

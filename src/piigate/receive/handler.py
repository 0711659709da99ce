"""The aiosmtpd handler: SMTP envelope in, ``Gate.handle``, SMTP reply out.

Every fault inside the gate becomes a 451 with no detail, so the sending MTA keeps the mail
and retries; aiosmtpd's own default (a 500 that echoes the exception) is never used.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from typing import Any

import structlog

from piigate.errors import STOPPING
from piigate.model import Envelope
from piigate.pipeline import Gate
from piigate.receive import replies
from piigate.receive.sessions import SessionTracker

log = structlog.get_logger("piigate.receive")

_session_ids = itertools.count(1)


class GateHandler:
    def __init__(self, gate: Gate, tracker: SessionTracker, max_recipients: int = 1000) -> None:
        self.gate = gate
        self.tracker = tracker
        self.max_recipients = max_recipients

    async def handle_MAIL(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        if getattr(server, "needs_auth", False) and not session.authenticated:
            return replies.AUTH_REQUIRED
        if _CONTROL.search(address):
            return replies.BAD_ADDRESS
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if _CONTROL.search(address):
            return replies.BAD_ADDRESS
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return replies.TOO_MANY_RECIPIENTS
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        server.phase = "screening"  # the content is in: no data rate, no idle timeout now
        reply = await self._screen(session, envelope)
        self.gate.observer.replied(int(reply[:3]))
        return reply

    async def _screen(self, session: Any, envelope: Any) -> str:
        if self.tracker.closing:
            return replies.SHUTTING_DOWN
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if b"\x00" in raw:
            return replies.NUL_IN_MESSAGE
        raw = await wire_form_in_turns(raw)
        message = Envelope(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            mail_options=tuple(envelope.mail_options or ()),
            peer=_peer(session),
        )
        with (
            self.tracker.in_flight(),
            structlog.contextvars.bound_contextvars(
                session=_session_id(session), peer=message.peer
            ),
        ):
            try:
                outcome = await self.gate.handle(message, raw)
            except STOPPING:
                raise
            except BaseException as exc:  # a library's panic too: the client is always answered
                # The text of a foreign exception may quote message content: log its type only.
                log.error("internal error while screening", error_type=type(exc).__name__)
                return replies.TEMPFAIL
        return outcome.reply

    async def handle_exception(self, error: Exception) -> str:
        log.error("internal error in SMTP session", error_type=type(error).__name__)
        return replies.TEMPFAIL


_LINE_END = re.compile(rb"\r\n|\n|\r")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
"""NUL, CR, LF and the other controls: never part of an address the gate passes on."""


def wire_form(raw: bytes) -> bytes:
    """The message with every line ending as CRLF, exactly as it will be relayed, so the
    SHA-256 in the disclosure record is the hash of the bytes the upstream received."""
    raw = _LINE_END.sub(b"\r\n", raw)
    return raw if raw.endswith(b"\r\n") or not raw else raw + b"\r\n"


_TURN_BYTES = 1024 * 1024
"""Bytes of a large message looked at before the event loop runs other sessions once."""


async def wire_form_in_turns(raw: bytes) -> bytes:
    """``wire_form``; a large message already CRLF throughout (nearly all) is not rewritten,
    and the event loop runs between megabytes while it is checked for a lone CR or LF. (The
    substitution over a 27 MB message held the loop 0.42 s; counting takes 0.06 s, in turns.)"""
    if len(raw) <= _TURN_BYTES:
        return wire_form(raw)
    crlf = lf = cr = 0
    for start in range(0, len(raw), _TURN_BYTES):
        end = start + _TURN_BYTES
        crlf += raw.count(b"\r\n", start, end + 1)  # those starting before ``end``
        lf += raw.count(b"\n", start, end)
        cr += raw.count(b"\r", start, end)
        await asyncio.sleep(0)
    if lf != crlf or cr != crlf:
        return wire_form(raw)
    return raw if raw.endswith(b"\r\n") else raw + b"\r\n"


def _peer(session: Any) -> str:
    peer = getattr(session, "peer", None)
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer or "")


def _session_id(session: Any) -> int:
    existing = getattr(session, "piigate_id", None)
    if isinstance(existing, int):
        return existing
    new_id = next(_session_ids)
    session.piigate_id = new_id
    return new_id

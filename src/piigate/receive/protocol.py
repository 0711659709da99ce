"""One SMTP session: aiosmtpd's protocol with the gate's limits around it.

- Admission, before the banner (``Admission``): networks, session slots, per address.
- A command (and greeting) timeout, ``smtp.session_timeout``: then 421 4.7.0, not a silent
  close; and a deadline for the whole session, ``smtp.session_deadline``, which no amount
  of activity extends.
- A minimum data rate during DATA, ``smtp.min_data_rate`` bytes/s over each
  ``smtp.data_rate_window``: a trickle gets 421 4.7.0.
- AUTH through ``AuthGuard``: the password is checked off the event loop, failures are
  throttled, a locked-out address or user gets 454 4.7.0.
- On shutdown every session is answered before it is closed: 451 for a message being
  received or screened (the client keeps it and retries), 421 otherwise.
- MAIL and RCPT with a plain ``<local@domain>`` address are read by one regular expression;
  anything else (quoted local parts, address literals, source routes, comments, non-ASCII)
  by aiosmtpd's RFC 5322 parser, as before. That parser built a token tree for every
  address of every message: about 5 % of the gate's time per small message.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Literal, cast

import structlog
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from piigate.config import SmtpSettings
from piigate.observe import GateObserver
from piigate.receive import replies
from piigate.receive.admission import Admission
from piigate.receive.auth import AuthGuard
from piigate.receive.handler import GateHandler
from piigate.receive.sessions import SessionTracker
from piigate.receive.turns import TakingTurns

log = structlog.get_logger("piigate.receive")

Phase = Literal["command", "receiving", "screening"]
LINGER = 1.0
"""Seconds an ended session stays open, reading and dropping, so the client reads the reply."""

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(
    rf"<((?:{_ATOM}\.)*{_ATOM}@(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+)>(?:[ \t]+(?=[^\s(])|$)"
)
"""``<dot-atom@domain>``, then nothing, or blanks and the parameters (not a comment)."""


class GateSMTP(SMTP):
    """aiosmtpd's SMTP protocol, taking Postfix's long lines, tracking its connection and
    refusing, before the banner, a peer that ``Admission`` does not admit."""

    def __init__(
        self,
        handler: GateHandler,
        tracker: SessionTracker,
        admission: Admission,
        smtp: SmtpSettings,
        guard: AuthGuard | None,
        **kw: Any,
    ) -> None:
        self.line_length_limit = smtp.max_line_length
        self._tracker = tracker
        self._admission = admission
        self._smtp = smtp
        self._guard = guard
        self._gate_handler = handler
        self._refused = False
        self._offered: tuple[str, LoginPassword] | None = None
        self._timers: list[asyncio.TimerHandle] = []
        self._bytes_in = 0
        self._ending = False
        self._rate_timer: asyncio.TimerHandle | None = None
        self.phase: Phase = "command"
        """What the session is doing: set by smtp_DATA and by the handler while screening."""
        self.needs_auth = False
        """True for a peer outside clients.networks: it must AUTH (over TLS) before MAIL."""
        super().__init__(
            handler, timeout=smtp.session_timeout, authenticator=guard_hook(guard), **kw
        )
        # The same stream protocol over a reader that lets other sessions take turns while
        # a large message is read (``receive.turns``); nothing is connected yet.
        asyncio.StreamReaderProtocol.__init__(
            self,
            TakingTurns(loop=self.loop, limit=self.line_length_limit),
            client_connected_cb=self._cb_client_connected,
            loop=self.loop,
        )

    def _observer(self) -> GateObserver:
        return self._gate_handler.gate.observer

    def _peer(self) -> Any:
        return None if self.session is None else self.session.peer

    # -- admission and limits -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None:  # a new connection, not the switch to TLS after STARTTLS
            peername = transport.get_extra_info("peername")
            open_peers = [p.session.peer for p in self._tracker.connections if p.session]
            refusal = self._admission.refusal(peername, open_peers)
            if refusal is not None or self._tracker.closing:
                self._refused = True
                reply, limit = refusal or (replies.SHUTTING_DOWN_421, "closing")
                log.warning("connection refused", peer=str(peername), reply=reply[:3], limit=limit)
                if refusal is not None and limit != "network":
                    self._observer().session_limited(limit)
                cast(asyncio.WriteTransport, transport).write(reply.encode("ascii") + b"\r\n")
                transport.close()
                return
            loop = asyncio.get_running_loop()
            self._timers = [loop.call_later(self._smtp.session_deadline, self._deadline_passed)]
        super().connection_made(transport)
        self.needs_auth = self._admission.needs_auth(transport.get_extra_info("peername"))
        self._tracker.connections.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        for timer in [*self._timers, self._rate_timer]:
            if timer is not None:
                timer.cancel()
        self._tracker.connections.discard(self)
        super().connection_lost(error)

    def data_received(self, data: bytes) -> None:
        if self._ending:
            return  # answered and closing: what the client still sends is dropped
        self._bytes_in += len(data)
        if self.phase == "receiving":
            self._reset_timeout()  # during DATA the command timeout counts from the last bytes
        super().data_received(data)

    def _timeout_cb(self) -> None:
        if self.phase == "screening":  # the gate is working on the message: not idle
            self._reset_timeout()
            return
        self.end(replies.SESSION_TIMEOUT, "timeout")

    def _deadline_passed(self) -> None:
        if self.phase == "screening":  # answer the message first; then the session ends
            self._timers.append(asyncio.get_running_loop().call_later(1, self._deadline_passed))
            return
        self.end(replies.SESSION_DEADLINE, "deadline")

    def _watch_data_rate(self) -> asyncio.TimerHandle | None:
        """From the 354 on, check the rate over each window until the content has arrived."""
        if not self._smtp.min_data_rate:
            return None
        window = self._smtp.data_rate_window
        return asyncio.get_running_loop().call_later(window, self._check_data_rate, self._bytes_in)

    def _check_data_rate(self, bytes_before: int) -> None:
        if self.phase != "receiving":
            return
        if self._bytes_in - bytes_before < self._smtp.min_data_rate * self._smtp.data_rate_window:
            self.end(replies.DATA_TOO_SLOW, "data_rate")
            return
        self._rate_timer = self._watch_data_rate()

    def end(self, reply: str, limit: str | None = None) -> None:
        """Answer ``reply`` (a 421 or 451) and end the session, whatever it was doing. A
        client still sending has what it sends read and dropped for ``LINGER`` seconds, so
        the close is not a reset that would lose the reply."""
        transport = self.transport
        if transport is None or transport.is_closing() or self._ending:
            return
        self._ending = True
        if limit is not None:
            log.warning("smtp session ended by a limit", limit=limit, peer=str(self._peer()))
            self._observer().session_limited(limit)
        cast(asyncio.WriteTransport, transport).write(reply.encode("ascii") + b"\r\n")
        if self.phase == "screening" and self._handler_coroutine is not None:
            self._handler_coroutine.cancel()  # stop screening; the client has sent everything
            return
        self._timers.append(asyncio.get_running_loop().call_later(LINGER, transport.close))

    def end_for_shutdown(self) -> None:
        """The grace period is over: 451 for a message being received or screened (not
        taken, so the client retries), 421 for a session between messages."""
        in_message = self.phase != "command"
        self.end(replies.SHUTTING_DOWN if in_message else replies.SHUTTING_DOWN_421)

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """The address of a MAIL or RCPT argument and the parameters after it, as aiosmtpd
        reads them; a plain address without its parser (see the top)."""
        plain = _PLAIN_ADDRESS.match(arg)
        if plain is None:
            return super()._getaddr(arg)
        address = plain.group(1)
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, arg[plain.end() :]

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802
        self.phase = "receiving"
        self._rate_timer = self._watch_data_rate()
        try:
            await super().smtp_DATA(arg)
        finally:
            self.phase = "command"
            if self._rate_timer is not None:
                self._rate_timer.cancel()

    # -- AUTH -----------------------------------------------------------------------------

    async def smtp_AUTH(self, arg: str) -> None:  # noqa: N802
        """aiosmtpd reads the mechanism's exchange; the guard checks the password (see
        ``_authenticate``), and the reply is pushed here."""
        peer = self._peer()
        host = str(peer[0]) if isinstance(peer, tuple) else ""
        if self._guard is not None and self._guard.locked_out(host):
            await self.push(replies.AUTH_LOCKED)
            return
        self._offered = None
        await super().smtp_AUTH(arg)
        offered, self._offered = self._offered, None
        if offered is None or self._guard is None:
            return
        mechanism, login = offered
        reply = await self._guard.check(host, login, mechanism)
        if reply == replies.AUTH_OK:
            self.session.authenticated = True
            self.session.auth_data = login
            self.session.login_data = login.login
        await self.push(reply)

    def _authenticate(self, mechanism: str, auth_data: Any) -> AuthResult:
        """Called (synchronously) by aiosmtpd's PLAIN and LOGIN: keep the credentials for
        ``smtp_AUTH`` and tell aiosmtpd the reply is ours to give."""
        if self._guard is not None and isinstance(auth_data, LoginPassword):
            self._offered = (mechanism, auth_data)
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False)


def guard_hook(guard: AuthGuard | None) -> Any:
    """The ``authenticator`` aiosmtpd needs to offer AUTH at all (never called: the guard
    checks passwords through ``GateSMTP._authenticate``)."""
    return None if guard is None else guard.credentials

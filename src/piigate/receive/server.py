"""The gate's SMTP listener: aiosmtpd's protocol on an asyncio server, with graceful stop."""

from __future__ import annotations

import asyncio
import signal
from typing import Any, Protocol, cast

import structlog
from aiosmtpd.smtp import SMTP

from piigate.config import ClientSettings, HostPort, Settings, SmtpSettings, TlsSettings
from piigate.errors import ConfigError
from piigate.pipeline import Gate
from piigate.receive import replies
from piigate.receive.admission import Admission, server_tls_context
from piigate.receive.auth import Credentials
from piigate.receive.handler import GateHandler
from piigate.receive.sessions import SessionTracker

log = structlog.get_logger("piigate.receive")


class GateSMTP(SMTP):
    """aiosmtpd's SMTP protocol, taking Postfix's long lines, tracking its connection and
    refusing, before the banner, a peer that ``Admission`` does not admit."""

    def __init__(
        self,
        handler: GateHandler,
        tracker: SessionTracker,
        line_length_limit: int,
        admission: Admission,
        **kw: Any,
    ) -> None:
        self.line_length_limit = line_length_limit
        self._tracker = tracker
        self._admission = admission
        self._refused = False
        self.needs_auth = False
        """True for a peer outside clients.networks: it must AUTH (over TLS) before MAIL."""
        super().__init__(handler, **kw)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None:  # a new connection, not the switch to TLS after STARTTLS
            peername = transport.get_extra_info("peername")
            refusal = self._admission.refusal(peername, len(self._tracker.connections))
            if refusal is not None or self._tracker.closing:
                self._refused = True
                log.warning("connection refused", peer=str(peername), reply=(refusal or "")[:3])
                cast(asyncio.WriteTransport, transport).write(
                    (refusal or replies.SHUTTING_DOWN_421).encode("ascii") + b"\r\n"
                )
                transport.close()
                return
        super().connection_made(transport)
        self.needs_auth = self._admission.needs_auth(transport.get_extra_info("peername"))
        self._tracker.connections.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        self._tracker.connections.discard(self)
        super().connection_lost(error)


class GateServer:
    def __init__(
        self,
        gate: Gate,
        listen: HostPort,
        smtp: SmtpSettings,
        *,
        tls: TlsSettings | None = None,
        clients: ClientSettings | None = None,
    ) -> None:
        self.gate = gate
        self.listen = listen
        self.smtp = smtp
        self.tls = tls or TlsSettings()
        self.tls_context = server_tls_context(self.tls)
        clients = clients or ClientSettings()
        self.credentials = _credentials(clients, self.tls_context)
        self.admission = Admission(
            clients.networks, smtp.max_sessions, auth=self.credentials is not None
        )
        self.tracker = SessionTracker()
        self.handler = GateHandler(gate, self.tracker, max_recipients=smtp.max_recipients)
        self._server: asyncio.Server | None = None

    @classmethod
    def from_settings(cls, gate: Gate, settings: Settings) -> GateServer:
        return cls(gate, settings.listen, settings.smtp, tls=settings.tls, clients=settings.clients)

    def _protocol(self) -> GateSMTP:
        return GateSMTP(
            self.handler,
            self.tracker,
            line_length_limit=self.smtp.max_line_length,
            admission=self.admission,
            tls_context=self.tls_context,
            require_starttls=self.tls.required,
            authenticator=self.credentials,
            auth_require_tls=True,
            hostname=self.smtp.hostname,
            ident="piigate",
            data_size_limit=self.smtp.max_message_size,
            enable_SMTPUTF8=True,
            decode_data=False,
            timeout=self.smtp.session_timeout,
        )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol, host=self.listen.host, port=self.listen.port, reuse_address=True
        )
        self.gate.relay.open_pool()
        log.info("listening", address=f"{self.address[0]}:{self.address[1]}")

    @property
    def accepting(self) -> bool:
        return self._server is not None and not self.tracker.closing

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None and self._server.sockets
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def stop(self, grace: float | None = None) -> None:
        """Accept no new connections or messages; let messages in flight finish (up to
        ``grace`` seconds), then close every connection."""
        if self._server is None:
            return
        self.tracker.closing = True
        self._server.close()
        finished = await self.tracker.wait_idle(
            self.smtp.shutdown_grace if grace is None else grace
        )
        if not finished:
            log.warning("shutdown grace expired", in_flight=self.tracker.busy)
        for protocol in list(self.tracker.connections):
            if protocol.transport is not None:
                protocol.transport.close()
        await self._server.wait_closed()
        self._server = None
        await self.gate.relay.close_pool()
        log.info("stopped")

    async def serve_until_signalled(self) -> None:
        await run_until_signalled(self)


class Stoppable(Protocol):
    async def start(self) -> None: ...

    async def stop(self, grace: float | None = None) -> None: ...


async def run_until_signalled(server: Stoppable) -> None:
    """Start, wait for SIGTERM or SIGINT, then stop gracefully."""
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("signal received; stopping")
    await server.stop()


def _credentials(clients: ClientSettings, tls_context: object | None) -> Credentials | None:
    if clients.auth_file is None:
        return None
    if tls_context is None:
        raise ConfigError(
            "clients.auth_file: SMTP AUTH is offered only over TLS; set tls.cert_file and "
            "tls.key_file"
        )
    return Credentials.load(clients.auth_file)

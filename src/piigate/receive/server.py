"""The gate's SMTP listener: aiosmtpd's protocol on an asyncio server, with graceful stop."""

from __future__ import annotations

import asyncio
import signal
from typing import Protocol

import structlog

from piigate.config import ClientSettings, HostPort, Settings, SmtpSettings, TlsSettings
from piigate.errors import ConfigError
from piigate.pipeline import Gate
from piigate.receive.admission import Admission, SessionLimits, server_tls_context
from piigate.receive.auth import AuthGuard, Credentials
from piigate.receive.handler import GateHandler
from piigate.receive.protocol import LINGER, GateSMTP
from piigate.receive.sessions import SessionTracker

log = structlog.get_logger("piigate.receive")

QUIT_GRACE = 0.5
"""Seconds a stopping gate, its messages done, gives clients to QUIT before it says 421."""


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
        self.guard = (
            None
            if self.credentials is None
            else AuthGuard(
                self.credentials, smtp.auth_throttle, smtp.auth_workers, lambda: gate.observer
            )
        )
        limits = SessionLimits(
            smtp.max_sessions_per_address, tuple(smtp.trusted_networks), smtp.reserved_sessions
        )
        self.admission = Admission(
            clients.networks, smtp.max_sessions, auth=self.credentials is not None, limits=limits
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
            self.admission,
            self.smtp,
            self.guard,
            tls_context=self.tls_context,
            require_starttls=self.tls.required,
            auth_require_tls=True,
            hostname=self.smtp.hostname,
            ident="piigate",
            data_size_limit=self.smtp.max_message_size,
            enable_SMTPUTF8=True,
            decode_data=False,
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
        await self.tracker.wait_disconnected(QUIT_GRACE)  # a client just answered may QUIT
        for protocol in list(self.tracker.connections):
            protocol.end_for_shutdown()
        await self.tracker.wait_disconnected(LINGER + 1)
        await self._server.wait_closed()
        self._server = None
        if self.guard is not None:
            self.guard.close()
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

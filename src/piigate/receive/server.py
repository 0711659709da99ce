"""The gate's SMTP listener: aiosmtpd's protocol on an asyncio server, with graceful stop."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import structlog
from aiosmtpd.smtp import SMTP

from piigate.config import HostPort, SmtpSettings
from piigate.pipeline import Gate
from piigate.receive.handler import GateHandler
from piigate.receive.sessions import SessionTracker

log = structlog.get_logger("piigate.receive")


class GateSMTP(SMTP):
    """aiosmtpd's SMTP protocol, taking Postfix's long lines and tracking its connection."""

    def __init__(
        self, handler: GateHandler, tracker: SessionTracker, line_length_limit: int, **kw: Any
    ) -> None:
        self.line_length_limit = line_length_limit
        self._tracker = tracker
        super().__init__(handler, **kw)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._tracker.connections.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        self._tracker.connections.discard(self)
        super().connection_lost(error)


class GateServer:
    def __init__(self, gate: Gate, listen: HostPort, smtp: SmtpSettings) -> None:
        self.gate = gate
        self.listen = listen
        self.smtp = smtp
        self.tracker = SessionTracker()
        self.handler = GateHandler(gate, self.tracker)
        self._server: asyncio.Server | None = None

    def _protocol(self) -> GateSMTP:
        return GateSMTP(
            self.handler,
            self.tracker,
            line_length_limit=self.smtp.max_line_length,
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
        log.info("listening", address=f"{self.address[0]}:{self.address[1]}")

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
        log.info("stopped")

    async def serve_until_signalled(self) -> None:
        await self.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("signal received; stopping")
        await self.stop()

"""uvicorn, embedded: started and stopped by ``piigate serve`` together with the SMTP
listener, on the same event loop. The gate owns the signals, so uvicorn installs none."""

from __future__ import annotations

import asyncio
import socket

import structlog
import uvicorn
from starlette.applications import Starlette

from piigate.config import HostPort

log = structlog.get_logger("piigate.http")


class HttpServer:
    def __init__(self, app: Starlette, listen: HostPort) -> None:
        config = uvicorn.Config(
            app,
            host=listen.host,
            port=listen.port,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=5,
        )
        config.load()
        self._server = uvicorn.Server(config)
        self._main_loop: asyncio.Task[None] | None = None
        self._sockets: list[socket.socket] = []

    async def start(self) -> None:
        """Bind (an ``OSError`` if the address is taken), then serve in the background."""
        config = self._server.config
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        sock = socket.create_server((config.host, config.port), family=family)
        self._sockets = [sock]
        self._server.lifespan = config.lifespan_class(config)  # as uvicorn's own serve() does
        await self._server.startup(sockets=self._sockets)
        self._main_loop = asyncio.create_task(self._server.main_loop())
        log.info("http listening", address=f"{self.address[0]}:{self.address[1]}")

    @property
    def address(self) -> tuple[str, int]:
        sockets = self._server.servers[0].sockets
        host, port = sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def stop(self) -> None:
        if self._main_loop is None:
            return
        self._server.should_exit = True
        await self._main_loop
        await self._server.shutdown(sockets=self._sockets)
        self._main_loop = None

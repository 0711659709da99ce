"""``piigate serve``: the SMTP listener and the HTTP listener (metrics, health) on one event
loop, started together and stopped together on SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from datetime import timedelta

import structlog
from starlette.types import ASGIApp

from piigate.config import HostPort, Settings
from piigate.errors import ConfigError, PiigateError
from piigate.http import GateMetrics, HttpServer, build_app
from piigate.observe import Observers
from piigate.pipeline import Gate
from piigate.quarantine.retries import remove_orphans
from piigate.quarantine.review import Review
from piigate.quarantine.tally import VerdictTally
from piigate.receive.server import GateServer, run_until_signalled

log = structlog.get_logger("piigate.service")

TALLY_SECONDS = 10.0
"""How often the report's verdict counts are written (and once more on stop)."""


class Service:
    """A gate with its listeners; ``gate.observer`` becomes the service's metrics."""

    def __init__(self, gate: Gate, settings: Settings, review: ASGIApp | None = None) -> None:
        """``review``: the analysts' pages, mounted at ``/review`` on the HTTP listener."""
        self.metrics = GateMetrics(gate.quarantine.held_count)

        def organization(address: str) -> str:
            return gate.actor.domains.organization(address)  # the domains in force (SIGHUP)

        self.tally = VerdictTally(gate.quarantine, organization)
        gate.observer = Observers(self.metrics, self.tally)
        self.gate = gate
        self.smtp = GateServer.from_settings(gate, settings)
        self.http: HttpServer | None = None
        if settings.http.enabled:
            checks = {"smtp": self._check_smtp, "ledger": gate.ledger.check}
            ready = {**checks, "upstream": self._check_upstream}
            app = build_app(self.metrics, checks, review, ready)
            self.http = HttpServer(app, settings.http.listen)

        self.settings = settings
        self._expiry: asyncio.Task[None] | None = None
        self._tallying: asyncio.Task[None] | None = None

    def _check_smtp(self) -> None:
        if not self.smtp.accepting:
            raise RuntimeError("not accepting mail")

    def _check_upstream(self) -> None:
        """The upstream MTA accepts a TCP connection (``/readyz``); ``OSError`` if not."""
        upstream = self.settings.upstream
        with socket.create_connection((upstream.host, upstream.port), timeout=2):
            pass

    async def start(self) -> None:
        """Listen on both; a taken address is a ``ConfigError`` naming the setting."""
        await asyncio.to_thread(self.gate.start_workers)
        try:
            await self.smtp.start()
        except OSError as exc:
            raise _cannot_listen("listen", self.settings.listen, exc) from None
        if self.http is not None:
            try:
                await self.http.start()
            except OSError as exc:
                await self.smtp.stop(grace=0)
                raise _cannot_listen("http.listen", self.settings.http.listen, exc) from None
        self._expiry = asyncio.create_task(self._expire_periodically())
        self._tallying = asyncio.create_task(self._flush_tally_periodically())

    async def stop(self, grace: float | None = None) -> None:
        """SMTP first (finish or temp-fail what is in flight), then HTTP."""
        if self._expiry is not None:
            self._expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._expiry
            self._expiry = None
        await self.smtp.stop(grace)
        if self._tallying is not None:
            self._tallying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tallying
            self._tallying = None
        await asyncio.to_thread(self._flush_tally)
        await asyncio.to_thread(self.gate.screener.close)  # the isolated readers' processes
        if self.http is not None:
            await self.http.stop()

    async def _expire_periodically(self) -> None:
        """Held mail past ``quarantine.max_age_days`` expires (and its sender is told) without
        anyone running a command, and sealed files a gate killed mid-hold left without their
        row go (``quarantine.retries``); at start, then every ``quarantine.expire_interval``
        seconds."""
        q = self.settings.quarantine
        review = Review(
            self.gate.quarantine,
            self.gate.actor,
            self.gate.screener,
            timedelta(days=q.max_age_days),
        )
        while True:
            try:
                expired = await review.expire_due()
                orphans = await asyncio.to_thread(remove_orphans, self.gate.quarantine)
            except PiigateError as exc:
                log.warning("quarantine expiry failed", error=str(exc))
            else:
                if expired:
                    log.info("quarantine expired held mail", count=len(expired))
                if orphans:
                    log.info("quarantine removed files a stopped gate left", count=orphans)
            await asyncio.sleep(q.expire_interval)

    async def _flush_tally_periodically(self) -> None:
        """The report's verdict counts reach the database every ``TALLY_SECONDS``."""
        while True:
            await asyncio.sleep(TALLY_SECONDS)
            await asyncio.to_thread(self._flush_tally)

    def _flush_tally(self) -> None:
        try:
            self.tally.flush()
        except PiigateError as exc:
            log.warning("verdict counts not written; kept for the next try", error=str(exc))

    async def serve_until_signalled(self) -> None:
        await run_until_signalled(self)


def _cannot_listen(setting: str, address: HostPort, exc: OSError) -> ConfigError:
    return ConfigError(f"{setting}: cannot listen on {address}: {exc.strerror or exc}")

"""``piigate serve``: the SMTP listener and the HTTP listener (metrics, health) on one event
loop, started together and stopped together on SIGTERM or SIGINT."""

from __future__ import annotations

from starlette.types import ASGIApp

from piigate.config import HostPort, Settings
from piigate.errors import ConfigError
from piigate.http import GateMetrics, HttpServer, build_app
from piigate.pipeline import Gate
from piigate.receive.server import GateServer, run_until_signalled


class Service:
    """A gate with its listeners; ``gate.observer`` becomes the service's metrics."""

    def __init__(self, gate: Gate, settings: Settings, review: ASGIApp | None = None) -> None:
        """``review``: the analysts' pages, mounted at ``/review`` on the HTTP listener."""
        self.metrics = GateMetrics(gate.quarantine.held_count)
        gate.observer = self.metrics
        self.gate = gate
        self.smtp = GateServer.from_settings(gate, settings)
        self.http: HttpServer | None = None
        if settings.http.enabled:
            checks = {"smtp": self._check_smtp, "ledger": gate.ledger.check}
            app = build_app(self.metrics, checks, review)
            self.http = HttpServer(app, settings.http.listen)

        self.settings = settings

    def _check_smtp(self) -> None:
        if not self.smtp.accepting:
            raise RuntimeError("not accepting mail")

    async def start(self) -> None:
        """Listen on both; a taken address is a ``ConfigError`` naming the setting."""
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

    async def stop(self, grace: float | None = None) -> None:
        """SMTP first (finish or temp-fail what is in flight), then HTTP."""
        await self.smtp.stop(grace)
        if self.http is not None:
            await self.http.stop()

    async def serve_until_signalled(self) -> None:
        await run_until_signalled(self)


def _cannot_listen(setting: str, address: HostPort, exc: OSError) -> ConfigError:
    return ConfigError(f"{setting}: cannot listen on {address}: {exc.strerror or exc}")

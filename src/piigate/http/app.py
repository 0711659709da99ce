"""The Starlette application: ``/metrics`` for Prometheus, ``/healthz`` and ``/readyz`` for
probes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from piigate.errors import LedgerError
from piigate.http.metrics import GateMetrics

HealthCheck = Callable[[], None]
"""Raises ``PiigateError`` (or ``OSError``) when the part it checks is unhealthy."""


def build_app(
    metrics: GateMetrics,
    checks: dict[str, HealthCheck],
    review: ASGIApp | None = None,
    ready: dict[str, HealthCheck] | None = None,
) -> Starlette:
    """``checks`` name the parts ``/healthz`` reports on (e.g. ``smtp``, ``ledger``); each runs
    off the event loop. The answer is 200 when every check passes, else 503; the body names
    each check and ``ok`` or the error's type, never its text. ``ready``: the same for
    ``/readyz`` (can the gate take mail now: its ledger and its upstream reachable)."""

    async def metrics_page(request: Request) -> Response:
        body = await asyncio.to_thread(generate_latest, metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    async def healthz(request: Request) -> Response:
        return await _answer(checks, "unhealthy")

    async def readyz(request: Request) -> Response:
        return await _answer(ready or checks, "not ready")

    routes: list[BaseRoute] = [
        Route("/metrics", metrics_page, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    if review is not None:

        async def to_queue(request: Request) -> Response:
            """``/`` is the analysts' queue."""
            return RedirectResponse(f"{request.scope.get('root_path', '')}/review/", 307)

        routes.append(Route("/", to_queue, methods=["GET"]))
        routes.append(Mount("/review", app=review))
    return Starlette(routes=routes)


async def _answer(checks: dict[str, HealthCheck], failing: str) -> Response:
    results = {name: await asyncio.to_thread(_run, check) for name, check in checks.items()}
    passed = all(result == "ok" for result in results.values())
    return JSONResponse(
        {"status": "ok" if passed else failing, "checks": results},
        status_code=200 if passed else 503,
    )


def _run(check: HealthCheck) -> str:
    try:
        check()
    except (LedgerError, OSError, RuntimeError) as exc:
        return type(exc).__name__
    return "ok"

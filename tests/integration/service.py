"""The whole service in-process (SMTP + HTTP listeners, metrics) on ephemeral loopback ports,
and a real HTTP client for its /metrics and /healthz."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from piigate.config import HostPort, Settings
from piigate.pipeline import Screener, build_gate
from piigate.service import Service


@asynccontextmanager
async def running_service(settings: Settings, screener: Screener) -> AsyncIterator[Service]:
    settings = settings.model_copy(
        update={"http": settings.http.model_copy(update={"listen": HostPort("127.0.0.1", 0)})}
    )
    service = Service(build_gate(settings, screener), settings)
    await service.start()
    try:
        yield service
    finally:
        await service.stop(grace=5)
        service.gate.close()


def smtp_address(service: Service) -> HostPort:
    return HostPort(*service.smtp.address)


def _get(service: Service, path: str) -> tuple[int, bytes]:
    assert service.http is not None
    host, port = service.http.address
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=10) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


async def http_get(service: Service, path: str) -> tuple[int, bytes]:
    return await asyncio.to_thread(_get, service, path)


async def healthz(service: Service) -> tuple[int, dict[str, Any]]:
    status, body = await http_get(service, "/healthz")
    return status, json.loads(body)


async def metric(service: Service, name: str, **labels: str) -> float:
    """The value of one sample scraped from /metrics (0 when absent)."""
    status, body = await http_get(service, "/metrics")
    assert status == 200
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0

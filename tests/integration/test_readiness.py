"""/readyz: whether the gate can take mail now. It is 200 only while the ledger and the
upstream MTA can both be reached; /healthz (is the process well) is not affected by the
upstream."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from piigate.config import Settings
from piigate.pipeline import Screener
from piigate.service import Service
from tests.conftest import Sink, settings_for
from tests.integration.service import healthz, http_get, running_service


async def readyz(service: Service) -> tuple[int, dict[str, Any]]:
    status, body = await http_get(service, "/readyz")
    return status, json.loads(body)


async def test_readyz_is_false_while_the_upstream_or_the_ledger_is_gone(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """Ready with smtp, ledger and upstream ok; 503 naming the upstream when it stops
    listening (healthz stays 200); 503 naming the ledger when the ledger is unusable."""
    settings = settings_for(shipped_settings, tmp_path, sink.address)
    async with running_service(settings, screener) as service:
        checks = {"smtp": "ok", "ledger": "ok", "upstream": "ok"}
        assert await readyz(service) == (200, {"status": "ok", "checks": checks})
        await sink.stop()
        status, body = await readyz(service)
        assert status == 503 and body["status"] == "not ready"
        assert body["checks"]["upstream"] == "ConnectionRefusedError"
        assert (await healthz(service))[0] == 200
        service.gate.close()
        status, body = await readyz(service)
        assert status == 503 and body["checks"]["ledger"] == "LedgerError"

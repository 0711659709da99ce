"""A ledger outage on the real PostgreSQL: the server ends every connection of the gate (as
a restart or a failover does). The next message with PII is accepted and recorded at once —
the gate makes a new connection on the error itself, not when a health probe happens to
call — and nothing relays while the ledger cannot be written."""

from __future__ import annotations

import random
import time
from pathlib import Path

import psycopg
import pytest

from piigate.config import Settings
from tests.conftest import Sink, gate_running, send, settings_for
from tests.synthetic import message, ssn

pytestmark = pytest.mark.postgres


def end_connections(url: str) -> int:
    """The server terminates every other session on the ledger's database."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


async def test_mail_flows_again_within_5_s_after_the_server_ends_the_connections(
    shipped_settings: Settings,
    tmp_path: Path,
    sink: Sink,
    postgres_url: str,
    delivering_rules: Path,
) -> None:
    """With the cumulative-exposure rule (the ledger is read before the verdict), after the
    server ends the gate's connections a message with PII is accepted (250) and recorded
    within 5 s, with no health probe in between."""
    rng = random.Random(110)
    (delivering_rules / "history.yaml").write_text(
        "rules:\n"
        "  - id: cumulative-exposure\n"
        "    when: cumulative-exposure\n"
        "    params: {max_organizations: 5}\n"
        "    scope: {external: true, sensitive: true}\n"
        "    action: quarantine\n"
        "    message: Held ({summary}).\n"
    )
    base = settings_for(shipped_settings, tmp_path, sink.address, rules_dir=delivering_rules)
    ledger = base.ledger.model_copy(update={"url": postgres_url})
    async with gate_running(base.model_copy(update={"ledger": ledger})) as gate:
        code, reply = await send(gate.address, message(body=f"SSN {ssn(rng)}\n"))
        assert code == 250, reply
        assert end_connections(postgres_url) >= 1
        started = time.monotonic()
        code, reply = await send(gate.address, message(body=f"SSN {ssn(rng)}\n"))
        while code != 250 and time.monotonic() - started < 5:
            code, reply = await send(gate.address, message(body=f"SSN {ssn(rng)}\n"))
        took = time.monotonic() - started
        assert code == 250 and took < 5, (reply, took)
        assert len(gate.records()) == 2

"""Several gate instances behind one Postfix: the content_filter names a list of next hops
(Postfix 3.5 and later), the gates share one PostgreSQL ledger, and when one gate is down
Postfix hands mail to the other; every disclosure is in one verified chain."""

from __future__ import annotations

import asyncio
import random
import shutil
import tempfile
from pathlib import Path

import pytest

from piigate.config import HostPort, Settings
from piigate.decide import load_rules
from piigate.pipeline import Screener
from tests.conftest import start_gate, start_sink
from tests.integration.mta import Ports, Postfix, free_port, postfix_unavailable
from tests.synthetic import message, ssn

pytestmark = [pytest.mark.postfix, pytest.mark.postgres]


async def test_postfix_fails_over_between_two_gates_sharing_one_ledger(
    shipped_settings: Settings,
    screener: Screener,
    tmp_path: Path,
    postgres_url: str,
    delivering_rules: Path,
) -> None:
    from tests.conftest import settings_for

    problem = postfix_unavailable()
    if problem:
        pytest.skip(problem)
    sink = await start_sink()
    gates_ports = [free_port(), free_port()]
    ports = Ports(free_port(), gates_ports[0], free_port(), sink.address.port)
    directory = Path(tempfile.mkdtemp(prefix="piigate-postfix-"))
    directory.chmod(0o755)
    postfix = Postfix(directory, ports)
    main_cf = directory / "main.cf"
    single = f"content_filter = piigate:[127.0.0.1]:{gates_ports[0]}"
    text = main_cf.read_text()
    assert single in text
    main_cf.write_text(text.replace(single, f"{single}, [127.0.0.1]:{gates_ports[1]}"))
    gates = []
    rules_screener: Screener | None = None
    for index, port in enumerate(gates_ports):
        folder = tmp_path / f"gate{index}"
        folder.mkdir()
        settings = settings_for(
            shipped_settings,
            folder,
            HostPort("127.0.0.1", ports.reinject),
            listen=HostPort("127.0.0.1", port),
            rules_dir=delivering_rules,
        )
        shared = {"url": postgres_url}
        settings = settings.model_copy(
            update={
                "ledger": settings.ledger.model_copy(update={**shared, "key": None}),
                "quarantine": settings.quarantine.model_copy(update=shared),
            }
        )
        # One screener with the delivering rules, shared by both gates (built once).
        rules_screener = rules_screener or Screener(
            screener.detector, screener.policy.with_rules(load_rules(delivering_rules))
        )
        gates.append(await start_gate(settings, rules_screener))
    rng = random.Random(5)

    def submit(raw: bytes) -> None:
        import smtplib

        with smtplib.SMTP("127.0.0.1", ports.submit, timeout=30) as client:
            client.sendmail("alice@dhs.gov", ["bob@fbi.gov"], raw)

    async def delivered(count: int) -> None:
        for _ in range(600):
            if len([m for m in sink.messages if m.rcpt_tos == ["bob@fbi.gov"]]) >= count:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"only {len(sink.messages)} at the sink:\n{postfix.log()[-2000:]}")

    try:
        await asyncio.to_thread(postfix.start)
        await asyncio.to_thread(submit, message(body=f"SSN {ssn(rng)}\n"))
        await delivered(1)
        await gates[0].server.stop(grace=5)  # the first next hop goes away
        await asyncio.to_thread(submit, message(body=f"SSN {ssn(rng)}\n"))
        await delivered(2)
        records = gates[1].records()
        assert len(records) == 2  # both disclosures, through either gate, in one ledger
        verification = gates[1].gate.ledger.verify()
        assert verification.bad_id is None and verification.checked == 2
    finally:
        await asyncio.to_thread(postfix.stop)
        for running in gates:
            await running.server.stop(grace=1)
            running.gate.close()
        await sink.stop()
        shutil.rmtree(directory, ignore_errors=True)

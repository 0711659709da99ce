"""Scale-out: two `piigate serve` processes share one PostgreSQL database for the ledger and
the quarantine's metadata (and one folder for the sealed messages). Mail through either is
accounted for in one hash chain, and held mail from either is in one queue that an analyst
can release from anywhere."""

from __future__ import annotations

import asyncio
import random
import signal
import smtplib
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from piigate.cli import main
from piigate.config import load_settings, shipped_dir
from piigate.pipeline import build_gate
from piigate.quarantine.review import Review
from tests.conftest import start_sink
from tests.integration.test_cli import free_port, spawn_serve, wait_for_port
from tests.synthetic import message, ssn

PER_GATE = 20

pytestmark = pytest.mark.postgres

RULES = """rules:
  - id: unencrypted-sensitive-pii
    when: sensitive-pii-in-plaintext
    scope: {external: true}
    action: deliver
    message: Delivered under audit ({summary}).
  - id: unscannable-content
    when: unscannable-content
    scope: {external: true}
    action: quarantine
    message: Held ({summary}).
"""


def _send(port: int, raw: bytes) -> int:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.ehlo()
        client.mail("alice@dhs.gov")
        client.rcpt("bob@fbi.gov")
        code, _ = client.data(raw.replace(b"\n", b"\r\n"))
        return int(code)


async def test_two_gates_share_one_ledger_and_one_quarantine(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "r.yaml").write_text(RULES)
    env = {
        "PIIGATE_LEDGER__URL": postgres_url,
        "PIIGATE_QUARANTINE__URL": postgres_url,
        "PIIGATE_QUARANTINE__DIR": str(tmp_path / "sealed"),
        "PIIGATE_QUARANTINE__KEY": "ab" * 32,
        "PIIGATE_LEDGER__KEY": "cd" * 32,
        "PIIGATE_RULES_DIR": str(rules),
    }
    sink = await start_sink()
    ports = [free_port(), free_port()]
    procs = [spawn_serve(tmp_path, port, sink.address, env) for port in ports]
    rng = random.Random(77)
    jobs = []
    for i in range(2 * PER_GATE):
        held = i % 4 == 0  # a quarter carry content the gate cannot read
        attachments = (("x.bin", b"\x00\x01" * 64, "application/octet-stream"),) if held else ()
        jobs.append((ports[i % 2], message(body=f"SSN {ssn(rng)}\n", attachments=attachments)))
    try:
        for port, proc in zip(ports, procs, strict=True):
            await asyncio.to_thread(wait_for_port, port, proc, 120)
        with ThreadPoolExecutor(8) as pool:  # off the event loop: the sink runs on it
            codes = await asyncio.to_thread(lambda: list(pool.map(lambda job: _send(*job), jobs)))
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            await asyncio.to_thread(proc.communicate, None, 30)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        await sink.stop()
    assert codes == [250] * len(jobs)
    assert all(proc.returncode == 0 for proc in procs)
    delivered = 2 * PER_GATE - len(jobs[::4])
    assert len([m for m in sink.messages if m.rcpt_tos == ["bob@fbi.gov"]]) == delivered

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    verify = runner.invoke(main, ["records", "verify"])
    assert verify.exit_code == 0, verify.output
    listed = runner.invoke(main, ["records", "list", "--json"])
    assert len(listed.output.splitlines()) == delivered  # one chain, every disclosure once
    queue = runner.invoke(main, ["quarantine", "list"])
    held_ids = [line.split("\t")[0] for line in queue.output.splitlines()]
    assert len(held_ids) == len(jobs[::4])

    # An analyst anywhere releases mail held by either gate.
    settings = load_settings(shipped_dir() / "config" / "piigate.yaml").model_copy(
        update={"upstream": sink.address}
    )
    sink = await start_sink(sink.address.port)
    gate = build_gate(settings.model_copy(update={"rules_dir": rules}))
    try:
        review = Review(gate.quarantine, gate.actor, gate.screener, timedelta(days=14))
        await review.release(held_ids[-1], "pat", "reviewed: routine use 12")
        # the message, then the notice telling the sender it was released
        assert [m.rcpt_tos for m in sink.messages] == [["bob@fbi.gov"], ["alice@dhs.gov"]]
    finally:
        gate.close()
        await sink.stop()

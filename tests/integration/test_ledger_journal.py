"""A disclosure that happened is never unaccounted: a record the database refuses after the
upstream accepted the message goes to the journal and is replayed on the next start."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest

from piigate.config import Settings
from piigate.record import open_ledger
from tests.conftest import Sink, disclose_to_five_organizations, send, settings_for, start_gate
from tests.synthetic import message, ssn


async def test_record_refused_after_delivery_is_journaled_then_replayed(
    shipped_settings: Settings,
    tmp_path: Path,
    sink: Sink,
    delivering_rules: Path,
) -> None:
    settings = settings_for(shipped_settings, tmp_path, sink.address, rules_dir=delivering_rules)
    running = await start_gate(settings)
    ledger = running.gate.ledger
    # A real refusal by the database at commit time (the ledger is reachable, so the gate
    # relays; then the insert fails): a trigger, not a mock.
    refuse = sqlite3.connect(tmp_path / "ledger.db")
    refuse.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON disclosures BEGIN SELECT RAISE(ABORT, 'no'); END"
    )
    refuse.commit()
    value = ssn(random.Random(3))
    try:
        code, reply = await send(running.address, message(body=f"SSN {value}\n"))
    finally:
        await running.server.stop(grace=5)
        ledger.close()
    assert code == 250, reply  # delivered: a 451 now would make the MTA send it twice
    assert len(sink.messages) == 1
    journal = ledger.journal.read_text()
    assert value not in journal and value.replace("-", "") not in journal
    refuse.execute("DROP TRIGGER refuse")
    refuse.commit()
    refuse.close()
    reopened = open_ledger(settings.ledger.url)
    try:
        records = reopened.records()
    finally:
        reopened.close()
    assert len(records) == 1
    assert records[0].recipients[0].organization == "fbi.gov"
    assert records[0].pii_counts == {"US_SSN": 1}
    assert not ledger.journal.exists()


async def test_scan_counts_earlier_disclosures_from_the_ledger(
    shipped_settings: Settings,
    tmp_path: Path,
    sink: Sink,
    delivering_rules: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`piigate scan` reads the gate's ledger: a person already sent to five organisations is
    held (cumulative-exposure) before a sixth gets them; without the ledger key it says on
    stderr that it judges against an empty history."""
    from click.testing import CliRunner

    from piigate.cli import main

    settings = settings_for(shipped_settings, tmp_path, sink.address, rules_dir=delivering_rules)
    value = ssn(random.Random(12))
    await disclose_to_five_organizations(settings, value)
    eml = tmp_path / "sixth.eml"
    eml.write_bytes(
        message(
            to=("x@nsa.gov",), subject="[ENCRYPT] [PURPOSE: routine use]", body=f"SSN {value}\n"
        )
    )
    monkeypatch.setenv("PIIGATE_LEDGER__URL", settings.ledger.url)
    monkeypatch.setenv("PIIGATE_LEDGER__KEY_FILE", str(settings.ledger.key_file))
    result = CliRunner().invoke(main, ["scan", "--json", str(eml)])
    rules = {v["rule"] for v in json.loads(result.stdout)["violations"]}
    assert "cumulative-exposure" in rules, result.stdout
    monkeypatch.setenv("PIIGATE_LEDGER__KEY_FILE", str(tmp_path / "absent.key"))
    result = CliRunner().invoke(main, ["scan", "--json", str(eml)])
    assert "cumulative-exposure" not in result.stdout
    assert "empty history" in result.stderr or "history" in result.stderr

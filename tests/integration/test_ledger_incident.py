"""The incident view for the seed's scenario (OIG-16-123: one sender disclosed a list of
4,825 people to 30 agencies), sent through a real gate, on SQLite and PostgreSQL: the
figures the Inspector General rebuilt by reading the mail come from one command."""

from __future__ import annotations

import json
import random
from pathlib import Path

from click.testing import CliRunner

from piigate.cli import main
from piigate.config import Settings
from tests.conftest import Sink, gate_running, send, settings_for
from tests.integration.test_policy_rules import DISCLAIMER, PURPOSE
from tests.synthetic import message, ssn

PEOPLE = 4825
AGENCIES = tuple(f"agency{n:02d}.gov" for n in range(1, 31))


async def test_incident_view_of_one_sender_4825_people_30_agencies(
    shipped_settings: Settings,
    tmp_path: Path,
    sink: Sink,
    ledger_url: str,
    delivering_rules: Path,
) -> None:
    """Six messages, each with the same 4,825-person list, to five agencies apiece (four
    with the disclaimer and a purpose, two without): the incident view for that sender
    counts 6 messages, 4,825 individuals, 30 organisations and agencies, 4 with the
    disclaimer, 4 with a purpose, none encrypted; another sender's mail is not counted."""
    rng = random.Random(16123)
    rows = "\n".join(ssn(rng) for _ in range(PEOPLE))
    listing = f"ssn\n{rows}\n".encode()
    base = settings_for(shipped_settings, tmp_path, sink.address, rules_dir=delivering_rules)
    names = {domain: f"Agency {domain[6:8]}" for domain in AGENCIES}
    ledger = base.ledger.model_copy(update={"url": ledger_url, "agencies": names})
    async with gate_running(base.model_copy(update={"ledger": ledger})) as gate:
        for n in range(6):
            to = tuple(f"liaison@{d}" for d in AGENCIES[5 * n : 5 * n + 5])
            careful = n < 4
            raw = message(
                sender="bulk.sender@dhs.gov",
                to=to,
                subject=f"List {n} {PURPOSE if careful else ''}",
                body=f"See attached.\n{DISCLAIMER if careful else ''}\n",
                attachments=(("list.csv", listing, "text/csv"),),
            )
            code, reply = await send(
                gate.address, raw, mail_from="bulk.sender@dhs.gov", rcpt_tos=to
            )
            assert code == 250, reply
        code, reply = await send(gate.address, message(body=f"SSN {ssn(rng)}\n"))
        assert code == 250, reply
    env = {
        "PIIGATE_LEDGER__URL": ledger_url,
        "PIIGATE_LEDGER__KEY_FILE": str(base.ledger.key_file),
    }
    result = CliRunner().invoke(
        main, ["records", "incident", "--sender", "bulk.sender@dhs.gov", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert (figures["messages"], figures["individuals"]) == (6, PEOPLE)
    assert figures["organizations"] == list(AGENCIES) and len(figures["agencies"]) == 30
    assert (figures["disclaimer"], figures["purpose_stated"], figures["encrypted"]) == (4, 4, 0)
    text = CliRunner().invoke(
        main, ["records", "incident", "--sender", "bulk.sender@dhs.gov"], env=env
    )
    assert "distinct individuals        4,825" in text.stdout
    assert "recipient organisations     30" in text.stdout

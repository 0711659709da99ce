"""SIGHUP reloads the whole policy: a sharing agreement added to the config applies to the
next message without a restart; a broken config is refused with file, line and key in the
log, and the last good policy stays whole."""

from __future__ import annotations

import random
from pathlib import Path

from piigate.config import load_settings, shipped_dir
from piigate.pipeline import Screener
from tests.conftest import Sink, gate_running, send, settings_for
from tests.integration.test_policy_rules import DISCLAIMER, PURPOSE
from tests.synthetic import message, ssn

AGREEMENTS = "  sharing_agreements:\n"


def config_copy(tmp_path: Path) -> Path:
    shipped = shipped_dir()
    text = (shipped / "config" / "piigate.yaml").read_text(encoding="utf-8")
    text = text.replace("rules_dir: ../rules", f"rules_dir: {shipped / 'rules'}")
    path = tmp_path / "config" / "piigate.yaml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    return path


async def test_sighup_applies_a_new_agreement_and_keeps_the_old_policy_on_errors(
    tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """Held for want of an agreement; the agreement added and the policy reloaded, the same
    message is relayed; a bad value then fails the reload and changes nothing (the log line
    naming file and line: ``test_rules_cli.py``, a real SIGHUP to ``piigate serve``)."""
    path = config_copy(tmp_path)
    settings = settings_for(load_settings(path), tmp_path, sink.address)
    raw = message(
        to=("clerk@example.com",),
        subject=f"[ENCRYPT] {PURPOSE} list",
        body=f"SSN {ssn(random.Random(12))}\n{DISCLAIMER}\n",
    )
    rcpts = ("clerk@example.com",)
    async with gate_running(settings, screener) as gate:
        code, reply = await send(gate.address, raw, rcpt_tos=rcpts)
        assert code == 250 and "Held for privacy review" in reply, reply
        text = path.read_text(encoding="utf-8")
        added = "    - {domain: example.com, agency: Example Agency, agreement: ISA-EX-1}\n"
        path.write_text(text.replace(AGREEMENTS, AGREEMENTS + added), encoding="utf-8")
        assert gate.gate.reload_policy(path)
        code, reply = await send(gate.address, raw, rcpt_tos=rcpts)
        assert code == 250 and "relayed" in reply, reply
        assert gate.gate.ledger.agencies.get("example.com") is None  # not in ledger.agencies

        good = path.read_text(encoding="utf-8")
        path.write_text(good.replace("  audit: false", "  audit: maybe"), encoding="utf-8")
        assert not gate.gate.reload_policy(path)  # the log line: test_rules_cli.py
        code, reply = await send(gate.address, raw, rcpt_tos=rcpts)
        assert code == 250 and "relayed" in reply, reply  # the agreement is still in force

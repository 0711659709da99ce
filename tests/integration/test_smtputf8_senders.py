"""A sender or recipient address written in UTF-8 (SMTPUTF8) gets the same verdicts as an
ASCII one: delivered, refused or held, never a 451 the sending MTA would retry for days."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from piigate.config import Settings
from tests.conftest import RunningGate, Sink, gate_running, send, settings_for
from tests.synthetic import ssn

SENDER = "josé@dhs.gov"


def _raw(to: str, body: str) -> bytes:
    return (
        f"From: José <{SENDER}>\r\nTo: {to}\r\nSubject: café\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("recipient", "with_pii", "expected"),
    [
        ("bob@fbi.gov", False, 250),  # external, clean: delivered
        ("zoë@fbi.gov", False, 250),  # a UTF-8 recipient too
        ("bob@fbi.gov", True, 550),  # external with an SSN: refused or held, never 451
    ],
)
async def test_a_utf8_sender_gets_a_verdict(
    gate: RunningGate, sink: Sink, recipient: str, with_pii: bool, expected: int
) -> None:
    """Each case ends in its verdict's reply; a delivered message reaches the sink intact."""
    body = f"Employee SSN {ssn(random.Random(7))}." if with_pii else "Grüße aus Köln."
    raw = _raw(recipient, body)
    code, reply = await send(
        gate.address,
        raw,
        mail_from=SENDER,
        rcpt_tos=(recipient,),
        mail_options=("SMTPUTF8", "BODY=8BITMIME"),
    )
    if expected == 250:
        assert code == 250, reply
        assert sink.messages[-1].content == raw
        assert sink.messages[-1].mail_from == SENDER
    else:
        assert code in (250, 550, 554), reply  # 250 only when held (stored durably)
        assert not sink.messages


async def test_a_utf8_sender_disclosure_is_delivered_and_recorded(
    shipped_settings: Settings, tmp_path: Path, delivering_rules: Path, sink: Sink
) -> None:
    """Under rules that let PII through, a UTF-8 sender's message is relayed and its
    disclosure recorded with the sender as written (the ledger is not ASCII-only)."""
    settings = settings_for(shipped_settings, tmp_path, sink.address, rules_dir=delivering_rules)
    async with gate_running(settings) as running:
        code, reply = await send(
            running.address,
            _raw("bob@fbi.gov", f"Employee SSN {ssn(random.Random(7))}."),
            mail_from=SENDER,
            rcpt_tos=("bob@fbi.gov",),
            mail_options=("SMTPUTF8", "BODY=8BITMIME"),
        )
        assert code == 250, reply
        records = running.records()
    assert len(records) == 1 and records[0].sender == SENDER
    assert len(sink.messages) == 1

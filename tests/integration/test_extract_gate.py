"""The seed story over real SMTP: spreadsheets of SSNs in zips, with and without the password
in the same message, through the running gate and a real upstream sink."""

from __future__ import annotations

import random

from tests import formats
from tests.conftest import RunningGate, Sink, send
from tests.integration.test_policy_rules import DISCLAIMER, PURPOSE
from tests.synthetic import message, ssn

PASSWORD = "Synthetic&Pass#42!"


def _zipped_roster(rng: random.Random) -> tuple[bytes, list[str]]:
    """An AES-256 zip of a spreadsheet of five synthetic SSNs, and the SSNs."""
    values = [ssn(rng) for _ in range(5)]
    sheet = formats.xlsx(
        {"Roster": [("Name", "SSN"), *((f"P{i}", v) for i, v in enumerate(values))]}
    )
    return formats.aes_zip({"roster.xlsx": sheet}, PASSWORD), values


async def test_password_in_the_same_message_is_refused(gate: RunningGate, sink: Sink) -> None:
    """An AES-256 zip whose password is in the body is opened, its SSNs are plain text: 550
    whose first line names that fault (not "encrypt it": the sender did), nothing reaches
    the upstream, and the reply shows no SSN."""
    data, values = _zipped_roster(random.Random(16123))
    raw = message(
        body=f"Roster attached. The password is {PASSWORD}\n",
        attachments=(("roster.zip", data, "application/zip"),),
    )
    code, reply = await send(gate.address, raw)
    assert code == 550, reply
    assert reply.startswith("5.7.1 password-in-same-message: The roster.zip password")
    assert "unencrypted-sensitive-pii" not in reply
    assert sink.messages == []
    assert not [value for value in values if value in reply]


async def test_password_sent_separately_is_delivered_and_recorded(
    gate: RunningGate, sink: Sink
) -> None:
    """The same zip without its password in the message is strong encryption: with the
    disclaimer and a stated purpose it is delivered, and the disclosure is recorded with the
    attachment's grade."""
    raw = message(
        subject=f"Roster {PURPOSE}",
        body=f"Roster attached; I will phone you the password.\n{DISCLAIMER}\n",
        attachments=(("roster.zip", _zipped_roster(random.Random(1))[0], "application/zip"),),
    )
    code, reply = await send(gate.address, raw)
    assert code == 250, reply
    assert len(sink.messages) == 1
    [record] = gate.records()
    assert [(a.name, a.grade.value, a.inspected) for a in record.attachments] == [
        ("roster.zip", "encrypted-strong", False)
    ]

"""The gate end to end: real SMTP in, a real aiosmtpd sink upstream, the real ledger."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from piigate.config import Settings
from piigate.pipeline import Screener
from tests.conftest import RunningGate, Sink, send, settings_for, start_gate, start_sink
from tests.synthetic import message, ssn

RNG_SEED = 20261125


@pytest.fixture
def rng() -> random.Random:
    return random.Random(RNG_SEED)


async def test_internal_only_mail_is_delivered_whatever_it_carries(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    """Internal recipients (dhs.gov and subdomains) get their mail even with SSNs in it."""
    raw = message(to=("carol@ice.dhs.gov",), body=f"SSN {ssn(rng)}\n")
    code, reply = await send(gate.address, raw, rcpt_tos=("carol@ice.dhs.gov", "dan@dhs.gov"))
    assert code == 250, reply
    assert len(sink.messages) == 1
    assert sink.messages[0].rcpt_tos == ["carol@ice.dhs.gov", "dan@dhs.gov"]
    assert gate.records() == []


async def test_external_ssn_in_body_is_refused_with_rule_id_and_masked_value(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    """An SSN in a plain body to an outside agency is refused with 550 5.7.1 and the rule id;
    the reply shows the last four digits at most."""
    value = ssn(rng)
    raw = message(body=f"The subject's SSN is {value}.\n")
    code, reply = await send(gate.address, raw)
    assert code == 550
    assert reply.startswith("5.7.1 unencrypted-sensitive-pii:")
    assert f"body: 1 SSN (***-**-{value[-4:]})" in reply
    assert value not in reply and value.replace("-", "") not in reply
    assert "encrypted" in reply  # it tells the sender how to fix it
    assert sink.messages == []
    assert gate.records() == []


async def test_external_ssns_in_csv_attachment_are_refused(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    """SSNs in a .csv attachment are found, and the reply names the attachment."""
    rows = "name,ssn\n" + "".join(f"Person {i},{ssn(rng)}\n" for i in range(5))
    raw = message(attachments=(("clients.csv", rows.encode(), "text/csv"),))
    code, reply = await send(gate.address, raw)
    assert code == 550
    assert "unencrypted-sensitive-pii" in reply
    assert "attachment clients.csv: 5 SSNs in column 'ssn'" in reply
    assert sink.messages == []


async def test_external_ssn_in_html_body_is_refused(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    """SSNs split by markup in a text/html body are read from the visible text."""
    value = ssn(rng)
    raw = message(body="See the HTML part.\n", html=f"<p>SSN:&nbsp;<b>{value}</b></p>")
    code, reply = await send(gate.address, raw)
    assert code == 550
    assert "unencrypted-sensitive-pii" in reply
    assert sink.messages == []


@pytest.mark.parametrize(
    "impossible",
    [
        "000-12-3456",
        "666-12-3456",
        "900-12-3456",
        "987-12-3456",
        "123-00-4567",
        "123-45-0000",
        "078-05-1120",
        "123-45-6789",
    ],
)
async def test_impossible_ssns_do_not_stop_mail(
    gate: RunningGate, sink: Sink, impossible: str
) -> None:
    """Numbers no SSA rule allows (and famous sample numbers) are not SSNs."""
    raw = message(body=f"Reference SSN {impossible}\n")
    code, reply = await send(gate.address, raw)
    assert code == 250, reply
    assert len(sink.messages) == 1
    assert gate.records() == []


async def test_clean_external_mail_is_relayed_byte_for_byte(gate: RunningGate, sink: Sink) -> None:
    raw = message(body="Meeting moved to 3pm. Call 202-555-0147. Order 55512-3456.\n")
    code, reply = await send(gate.address, raw)
    assert code == 250, reply
    assert sink.messages[0].content == raw.replace(b"\n", b"\r\n")
    assert sink.messages[0].mail_from == "alice@dhs.gov"
    assert gate.records() == []


async def test_upstream_down_gives_451_and_records_nothing(
    shipped_settings: Settings, tmp_path: Path, delivering_rules: Path, rng: random.Random
) -> None:
    """With no upstream listening, the client is told to retry and no disclosure is recorded."""
    dead = await start_sink()
    address = dead.address
    await dead.stop()
    settings = settings_for(shipped_settings, tmp_path, address, rules_dir=delivering_rules)
    running = await start_gate(settings)
    try:
        code, reply = await send(running.address, message(body=f"SSN {ssn(rng)}\n"))
        assert code == 451
        assert reply.startswith("4.4.1")
        assert running.records() == []
    finally:
        await running.server.stop(grace=1)


async def test_upstream_temporary_refusal_gives_451(gate: RunningGate, sink: Sink) -> None:
    sink.handler.reply = "452 4.3.1 Insufficient system storage"
    code, _ = await send(gate.address, message())
    assert code == 451


async def test_upstream_permanent_refusal_is_passed_back_as_5xx(
    gate: RunningGate, sink: Sink
) -> None:
    sink.handler.reply = "554 5.7.0 Policy rejection"
    code, reply = await send(gate.address, message())
    assert code == 554
    assert "refused" in reply


async def test_exception_in_pipeline_gives_451_without_its_text(
    gate: RunningGate, sink: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault inside the scanner (injected: a real one cannot be produced on demand) is a
    temporary failure whose reply carries no exception text."""

    def explode(*_: object) -> None:
        raise RuntimeError("secret detail 536-22-8167")

    monkeypatch.setattr(gate.gate.screener.detector, "detect", explode)
    code, reply = await send(gate.address, message())
    assert code == 451
    assert "secret" not in reply and "8167" not in reply and "RuntimeError" not in reply
    assert sink.messages == []


async def test_scan_timeout_gives_451(
    shipped_settings: Settings, tmp_path: Path, sink: Sink, screener: Screener
) -> None:
    scan = shipped_settings.scan.model_copy(update={"timeout": 1e-6})
    settings = settings_for(shipped_settings, tmp_path, sink.address, scan=scan)
    running = await start_gate(settings, screener)
    try:
        code, reply = await send(running.address, message())
        assert code == 451
        assert "ran out of time" in reply
        assert sink.messages == []
    finally:
        await running.server.stop(grace=5)


async def test_delivered_disclosure_is_recorded_without_raw_pii(
    shipped_settings: Settings,
    tmp_path: Path,
    sink: Sink,
    delivering_rules: Path,
    rng: random.Random,
) -> None:
    """When the rules let PII out (here an admin's deliver rule), exactly one record is written:
    sender, each external recipient with its organisation, PII counts, message-id, and the
    SHA-256 of the relayed bytes; the database holds no SSN digits."""
    settings = settings_for(shipped_settings, tmp_path, sink.address, rules_dir=delivering_rules)
    running = await start_gate(settings)
    values = [ssn(rng) for _ in range(3)]
    body = "".join(f"SSN {v}\n" for v in values) + f"again {values[0]}\n"
    raw = message(to=("bob@fbi.gov", "eve@usdoj.gov"), body=body)
    try:
        code, reply = await send(
            running.address,
            raw,
            rcpt_tos=("bob@fbi.gov", "eve@mail.usdoj.gov", "carol@dhs.gov"),
        )
        assert code == 250, reply
        records = running.records()
    finally:
        await running.server.stop(grace=5)
        running.gate.close()
    assert len(records) == 1
    record = records[0]
    assert record.sender == "alice@dhs.gov"
    assert [(r.address, r.organization) for r in record.recipients] == [
        ("bob@fbi.gov", "fbi.gov"),
        ("eve@mail.usdoj.gov", "usdoj.gov"),
    ]
    assert record.pii_counts == {"US_SSN": 4}
    assert record.individuals == 3
    assert record.message_id.startswith("<test-")
    assert record.sha256 == hashlib.sha256(sink.messages[0].content).hexdigest()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("ledger.db*"))
    for value in values:
        assert value.encode() not in stored
        assert value.replace("-", "").encode() not in stored


async def test_ledger_unavailable_gives_451_and_relays_nothing(
    shipped_settings: Settings,
    tmp_path: Path,
    sink: Sink,
    delivering_rules: Path,
    rng: random.Random,
) -> None:
    settings = settings_for(shipped_settings, tmp_path, sink.address, rules_dir=delivering_rules)
    running = await start_gate(settings)
    running.gate.ledger.close()  # the database is gone from under the gate
    try:
        code, reply = await send(running.address, message(body=f"SSN {ssn(rng)}\n"))
    finally:
        await running.server.stop(grace=5)
    assert code == 451
    assert "ledger" in reply
    assert sink.messages == []


async def test_unreadable_attachment_is_held_encrypted_at_rest(
    gate: RunningGate, sink: Sink, settings: Settings, rng: random.Random
) -> None:
    """Content the gate cannot read is never clean: it is quarantined (250 only once the
    sealed copy is on disk) and the stored file does not hold the SSN in clear."""
    value = ssn(rng)
    blob = b"\x00\x01BINARY" + value.encode() + b"\x00" * 64
    raw = message(attachments=(("data.bin", blob, "application/octet-stream"),))
    code, reply = await send(gate.address, raw)
    assert code == 250
    assert "Held for privacy review" in reply
    held_id = reply.split(" as ")[1].split(";")[0]
    # Nothing reached the recipient; the sender got a notice naming the quarantine id.
    assert [m.rcpt_tos for m in sink.messages] == [["alice@dhs.gov"]]
    assert held_id.encode() in sink.messages[0].content
    sealed = (settings.quarantine.dir / f"{held_id}.msg").read_bytes()
    assert value.encode() not in sealed
    assert gate.gate.quarantine.open(held_id).replace(b"\r\n", b"\n") == raw
    held = gate.gate.quarantine.get(held_id)
    assert held.rules == ("unscannable-content",)
    assert held.rcpt_tos == ("bob@fbi.gov",) and held.organizations == ("fbi.gov",)
    stored = b"".join(p.read_bytes() for p in settings.quarantine.dir.parent.rglob("*.db*"))
    assert value.encode() not in stored


async def test_image_attachment_alone_does_not_hold_mail(gate: RunningGate, sink: Sink) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    raw = message(attachments=(("logo.png", png, "image/png"),))
    code, reply = await send(gate.address, raw)
    assert code == 250, reply
    assert len(sink.messages) == 1

"""The policy's flows end to end: [ENCRYPT], split delivery, audit mode, reload while mail
is flowing."""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
import random
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
import pyzipper

from piigate.config import Settings
from piigate.pipeline import Screener
from tests.conftest import (
    RunningGate,
    Sink,
    disclose_to_five_organizations,
    send,
    settings_for,
    start_gate,
)
from tests.integration.test_policy_rules import DISCLAIMER, PURPOSE
from tests.synthetic import message, ssn


@pytest.fixture
def rng() -> random.Random:
    return random.Random(42)


def parse(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, _class=EmailMessage, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def password_from(notice: bytes) -> str:
    body = parse(notice).get_body(("plain",))
    assert body is not None
    match = re.search(r"The password is:\s+(\S+)", body.get_content())
    assert match
    return match.group(1)


async def test_encrypt_on_request_seals_pii_and_mails_the_password_separately(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    """[ENCRYPT] turns the plaintext and disclaimer refusals into encryption: the recipient
    gets an AES-256 zip holding the original body and attachment, the sender alone gets the
    password, no SSN is readable anywhere in the delivered message, and the disclosure is
    recorded with the counts seen in clear."""
    values = [ssn(rng) for _ in range(3)]
    csv = "name,ssn\n" + "".join(f"P{i},{v}\n" for i, v in enumerate(values[1:]))
    logo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    raw = message(
        subject=f"[ENCRYPT] Records {PURPOSE}",
        body=f"Please find the records. Lead subject SSN {values[0]}.\n",
        attachments=(("clients.csv", csv.encode(), "text/csv"), ("logo.png", logo, "image/png")),
    )
    code, reply = await send(gate.address, raw)
    assert code == 250, reply
    by_rcpt = {tuple(m.rcpt_tos): m for m in sink.messages}
    assert set(by_rcpt) == {("alice@dhs.gov",), ("bob@fbi.gov",)}
    notice, delivered = by_rcpt[("alice@dhs.gov",)], by_rcpt[("bob@fbi.gov",)]
    password = password_from(notice.content)
    assert password.encode() not in delivered.content
    sealed = parse(delivered.content)
    assert "[ENCRYPT]" not in str(sealed["Subject"])
    body = sealed.get_body(("plain",))
    assert body is not None and DISCLAIMER in " ".join(body.get_content().split())
    files = {p.get_filename(): p.get_content() for p in sealed.iter_attachments()}
    assert set(files) == {"protected.zip", "logo.png"}
    assert files["logo.png"] == logo
    with pyzipper.AESZipFile(io.BytesIO(files["protected.zip"])) as archive:
        info = archive.getinfo("clients.csv")
        assert info.flag_bits & 0x1 and info.wz_aes_strength == 3  # encrypted, AES-256
        with pytest.raises(RuntimeError):
            archive.read("clients.csv")  # no password, no content
        archive.setpassword(password.encode())
        assert archive.read("clients.csv").decode().replace("\r\n", "\n") == csv
        assert values[0] in archive.read("message.txt").decode()
    for value in values:
        for form in (value, value.replace("-", "")):
            assert form.encode() not in delivered.content
    records = gate.records()
    assert len(records) == 1
    assert records[0].outcome == "encrypted"
    assert records[0].pii_counts == {"US_SSN": 3}
    assert records[0].individuals == 3


async def test_mixed_recipients_split_internal_delivered_external_refused(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    """Internal recipients still receive a message whose external part breaks a rule; the
    sender is told why the external recipient did not, and the gate answers 250."""
    raw = message(subject=PURPOSE, body=f"SSN {ssn(rng)}\n{DISCLAIMER}\n")
    code, reply = await send(gate.address, raw, rcpt_tos=("carol@dhs.gov", "bob@fbi.gov"))
    assert code == 250, reply
    assert "inside the agency only" in reply
    by_rcpt = {tuple(m.rcpt_tos): m for m in sink.messages}
    assert set(by_rcpt) == {("carol@dhs.gov",), ("alice@dhs.gov",)}
    notice = parse(by_rcpt[("alice@dhs.gov",)].content)
    text = notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "bob@fbi.gov" in text and "unencrypted-sensitive-pii" in text
    assert gate.records() == []


async def test_mixed_recipients_quarantine_holds_only_the_external_copy(
    gate: RunningGate, sink: Sink, settings: Settings
) -> None:
    blob = b"\x00\x01\x02binary" * 10
    raw = message(attachments=(("data.bin", blob, "application/octet-stream"),))
    code, reply = await send(gate.address, raw, rcpt_tos=("carol@dhs.gov", "bob@fbi.gov"))
    assert code == 250 and "Held" in reply
    assert sorted(tuple(m.rcpt_tos) for m in sink.messages) == [
        ("alice@dhs.gov",),
        ("carol@dhs.gov",),
    ]
    [held] = gate.gate.quarantine.messages()
    assert held.rcpt_tos == ("bob@fbi.gov",)


async def test_audit_mode_delivers_and_tells_the_sender(
    shipped_settings: Settings,
    tmp_path: Path,
    sink: Sink,
    screener: Screener,
    rng: random.Random,
) -> None:
    policy = shipped_settings.policy.model_copy(update={"audit": True, "audit_notify_sender": True})
    settings = settings_for(shipped_settings, tmp_path, sink.address, policy=policy)
    running = await start_gate(settings)
    try:
        code, reply = await send(running.address, message(body=f"SSN {ssn(rng)}\n"))
        records = running.records()
    finally:
        await running.server.stop(grace=5)
        running.gate.close()
    assert code == 250, reply
    by_rcpt = {tuple(m.rcpt_tos): m for m in sink.messages}
    assert set(by_rcpt) == {("bob@fbi.gov",), ("alice@dhs.gov",)}
    assert b"audit mode" in by_rcpt[("alice@dhs.gov",)].content
    assert len(records) == 1  # the disclosure happened, so it is accounted for


async def test_password_header_is_removed_before_relaying(gate: RunningGate, sink: Sink) -> None:
    raw = message(to=("carol@dhs.gov",)).replace(
        b"Subject:", b"X-Piigate-Password: s3cret&#!\nSubject:", 1
    )
    code, _ = await send(gate.address, raw, rcpt_tos=("carol@dhs.gov",))
    assert code == 250
    assert b"s3cret" not in sink.messages[0].content
    assert b"X-Piigate-Password" not in sink.messages[0].content
    assert b"Subject: Case update" in sink.messages[0].content


async def test_rules_reload_while_mail_flows_keeps_last_good_rules(
    gate: RunningGate,
    sink: Sink,
    tmp_path: Path,
    rng: random.Random,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reloading (what SIGHUP does) swaps the rules between messages: messages in flight
    finish, later ones get the new verdict; an invalid folder leaves the old rules."""
    # The screener is shared by the session's tests: put its policy back afterwards.
    monkeypatch.setattr(gate.gate.screener, "policy", gate.gate.screener.policy)
    folder = tmp_path / "new-rules"
    folder.mkdir()
    (folder / "r.yaml").write_text(
        "rules:\n  - id: unencrypted-sensitive-pii\n    when: sensitive-pii-in-plaintext\n"
        "    scope: {external: true}\n    action: deliver\n    message: allowed ({summary})\n"
    )
    leaky = message(body=f"SSN {ssn(rng)}\n")

    codes: list[int] = []

    async def stream() -> None:
        for _ in range(12):
            codes.append((await send(gate.address, leaky))[0])

    flowing = asyncio.create_task(stream())
    while len(codes) < 2:
        await asyncio.sleep(0.005)
    assert gate.gate.reload_rules(folder)
    await flowing
    assert codes[:2] == [550, 550] and codes[-1] == 250
    assert codes == sorted(codes, reverse=True)  # once the new rules apply, they stay
    (folder / "r.yaml").write_text("rules:\n  - id: broken\n    when: nothing\n")
    assert not gate.gate.reload_rules(folder)
    code, _ = await send(gate.address, leaky)
    assert code == 250  # still the last good (delivering) rules


def aes_zip(name: str, data: bytes, password: str, bits: int = 256) -> bytes:
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(buffer, "w", encryption=pyzipper.WZ_AES) as archive:
        archive.setpassword(password.encode())
        archive.setencryption(pyzipper.WZ_AES, nbits=bits)
        archive.writestr(name, data)
    return buffer.getvalue()


async def test_weak_encryption_is_refused_and_strong_is_delivered(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    roster = "name,ssn\n" + "".join(f"P{i},{ssn(rng)}\n" for i in range(3))
    body = f"Attached; the password follows by phone.\n{DISCLAIMER}\n"
    weak = message(
        subject=PURPOSE,
        body=body,
        attachments=(
            (
                "r.zip",
                aes_zip("r.csv", roster.encode(), "Synthetic&Pass#42!", 128),
                "application/zip",
            ),
        ),
    )
    code, reply = await send(gate.address, weak)
    assert code == 550 and "weak-encryption" in reply
    strong = message(
        subject=PURPOSE,
        body=body,
        attachments=(
            ("r.zip", aes_zip("r.csv", roster.encode(), "Synthetic&Pass#42!"), "application/zip"),
        ),
    )
    code, reply = await send(gate.address, strong)
    assert code == 250, reply
    [record] = gate.records()
    assert record.attachments[0].grade.value == "encrypted-strong"
    assert record.individuals == 0  # not inspected: individuals unknown, and the record says so


async def test_password_given_to_the_gate_lets_it_account_for_the_contents(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    """X-Piigate-Password opens the zip for the gate alone: the header is removed before
    relaying, the zip stays encrypted, and the record counts the people inside."""
    roster = "name,ssn\n" + "".join(f"P{i},{ssn(rng)}\n" for i in range(4))
    password = "Synthetic&Pass#42!"
    raw = message(
        subject=PURPOSE,
        body=f"Attached.\n{DISCLAIMER}\n",
        attachments=(("r.zip", aes_zip("r.csv", roster.encode(), password), "application/zip"),),
    )
    raw = raw.replace(b"Subject:", f"X-Piigate-Password: {password}\nSubject:".encode(), 1)
    code, reply = await send(gate.address, raw)
    assert code == 250, reply
    assert password.encode() not in sink.messages[0].content
    [record] = gate.records()
    assert record.individuals == 4
    assert (
        record.attachments[0].inspected and record.attachments[0].grade.value == "encrypted-strong"
    )


async def test_cumulative_exposure_counts_the_gates_own_ledger(
    shipped_settings: Settings,
    tmp_path: Path,
    sink: Sink,
    delivering_rules: Path,
    rng: random.Random,
) -> None:
    """Five earlier disclosures of one person (recorded by the gate) put that person with five
    outside organisations; the same person to a sixth is held (cumulative-exposure), while a
    person seen nowhere before goes to the same sixth organisation without that rule."""
    value, fresh = ssn(rng), ssn(rng)
    seeding = settings_for(shipped_settings, tmp_path, sink.address, rules_dir=delivering_rules)
    await disclose_to_five_organizations(seeding, value)
    running = await start_gate(seeding.model_copy(update={"rules_dir": shipped_settings.rules_dir}))
    subject = f"[ENCRYPT] {PURPOSE}"
    try:
        code, reply = await send(
            running.address,
            message(subject=subject, body=f"SSN {value}\n{DISCLAIMER}\n", to=("x@fbi.gov",)),
            rcpt_tos=("x@nsa.gov",),
        )
        assert code == 250 and "Held" in reply, reply
        [held] = running.gate.quarantine.messages()
        assert "cumulative-exposure" in held.rules
        code, reply = await send(
            running.address,
            message(subject=subject, body=f"SSN {fresh}\n{DISCLAIMER}\n"),
            rcpt_tos=("x@nsa.gov",),
        )
        assert len(running.gate.quarantine.messages()) == 2  # no agreement with nsa.gov
        assert "cumulative-exposure" not in running.gate.quarantine.messages()[0].rules
    finally:
        await running.server.stop(grace=5)
        running.gate.close()

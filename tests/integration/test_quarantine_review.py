"""The quarantine: encryption at rest, the state machine, and the analysts' actions with a real
gate, a real sink and the real ledger."""

from __future__ import annotations

import asyncio
import io
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pyzipper
from click.testing import CliRunner

from piigate.cli import main
from piigate.config import Settings
from piigate.errors import QuarantineError
from piigate.pipeline import Screener
from piigate.quarantine import State
from piigate.quarantine.queue import QueueQuery, queue_page
from piigate.quarantine.review import Review
from piigate.quarantine.sealed import SealedFiles
from piigate.review.views import findings_summary
from tests.conftest import RunningGate, Sink, send, settings_for
from tests.integration.test_policy_flows import parse, password_from
from tests.integration.test_policy_rules import DISCLAIMER, PURPOSE
from tests.synthetic import message, ssn


@pytest.fixture
def settings(shipped_settings: Settings, tmp_path: Path, sink: Sink, ledger_url: str) -> Settings:
    """Every test here runs twice: quarantine metadata and ledger in SQLite, then both in the
    real PostgreSQL (as several gate instances would share them)."""
    base = settings_for(shipped_settings, tmp_path, sink.address)
    return base.model_copy(
        update={
            "quarantine": base.quarantine.model_copy(update={"url": ledger_url}),
            "ledger": base.ledger.model_copy(update={"url": ledger_url}),
        }
    )


def review_of(gate: RunningGate, days: int = 14) -> Review:
    return Review(gate.gate.quarantine, gate.gate.actor, gate.gate.screener, timedelta(days=days))


async def hold_one(
    gate: RunningGate,
    sink: Sink,
    rng: random.Random,
    subject: str = PURPOSE,
    rcpt: str = "clerk@example.com",
) -> tuple[str, str]:
    """A message with SSNs in an encrypted-on-request form to an organisation without a
    sharing agreement: held. Returns (quarantine id, the SSN it carries)."""
    value = ssn(rng)
    raw = message(subject=f"[ENCRYPT] {subject}", body=f"SSN {value}\n{DISCLAIMER}\n", to=(rcpt,))
    code, reply = await send(gate.address, raw, rcpt_tos=(rcpt,))
    assert code == 250 and "Held for privacy review" in reply, reply
    sink.handler.messages.clear()  # the held notice to the sender
    return reply.split(" as ")[1].split(";")[0], value


@pytest.fixture
def rng() -> random.Random:
    return random.Random(808)


async def test_held_message_is_sealed_and_wrong_key_fails_loudly(
    gate: RunningGate, sink: Sink, rng: random.Random, tmp_path: Path
) -> None:
    held_id, value = await hold_one(gate, sink, rng)
    store = gate.gate.quarantine
    assert value.encode() not in store.sealed.path(held_id).read_bytes()
    assert value.encode() in store.open(held_id)
    wrong = SealedFiles(store.sealed.directory, b"\x01" * 32)
    with pytest.raises(QuarantineError, match="cannot decrypt"):
        wrong.read(held_id)
    held = store.get(held_id)
    assert held.state is State.HELD
    assert set(held.rules) == {"unencrypted-sensitive-pii", "no-sharing-agreement"}
    assert value not in str(held)  # metadata is masked


async def test_release_relays_encrypts_and_records_the_analyst(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    """Released [ENCRYPT] mail leaves sealed (as the sender asked), the password goes to the
    sender, then the notice that it was released, naming its Subject; the record names the
    analyst and the justification, and the state is released."""
    held_id, value = await hold_one(gate, sink, rng)
    outcome = await review_of(gate).release(held_id, "pat", "ISA request 2026-17 on file")
    assert outcome.record_id is not None
    [delivered] = [m.content for m in sink.messages if m.rcpt_tos == ["clerk@example.com"]]
    password_notice, released_notice = [
        parse(m.content) for m in sink.messages if m.rcpt_tos == ["alice@dhs.gov"]
    ]
    assert value.encode() not in delivered
    assert released_notice["Subject"].startswith("Sent after privacy review: [ENCRYPT]")
    assert "ISA request 2026-17 on file" in released_notice.get_content()
    password = password_from(password_notice.as_bytes())
    sealed = parse(delivered)
    zipped = next(p for p in sealed.iter_attachments() if p.get_filename() == "protected.zip")
    with pyzipper.AESZipFile(io.BytesIO(zipped.get_content())) as archive:
        archive.setpassword(password.encode())
        assert value in archive.read("message.txt").decode()
    [record] = gate.records()
    assert record.outcome == "released" and record.released_by == "pat"
    assert record.release_reason == "ISA request 2026-17 on file"
    assert gate.gate.quarantine.get(held_id).state is State.RELEASED
    [event] = gate.gate.quarantine.events(held_id)
    assert (event.actor, event.from_state, event.to_state) == ("pat", State.HELD, State.RELEASED)


async def test_a_message_is_released_once_even_when_two_analysts_click(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    held_id, _ = await hold_one(gate, sink, rng)
    review = review_of(gate)
    results = await asyncio.gather(
        review.release(held_id, "pat", "approved"),
        review.release(held_id, "sam", "approved"),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert len([m for m in sink.messages if m.rcpt_tos == ["clerk@example.com"]]) == 1
    assert len(gate.records()) == 1


async def test_failed_release_goes_back_to_held_and_records_nothing(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    held_id, _ = await hold_one(gate, sink, rng)
    sink.handler.reply = "451 4.3.0 try later"
    with pytest.raises(QuarantineError, match="release failed"):
        await review_of(gate).release(held_id, "pat", "approved")
    assert gate.gate.quarantine.get(held_id).state is State.HELD
    assert gate.records() == []


async def test_release_needs_a_justification(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    held_id, _ = await hold_one(gate, sink, rng)
    with pytest.raises(QuarantineError, match="justification"):
        await review_of(gate).release(held_id, "pat", "  ")
    assert gate.gate.quarantine.get(held_id).state is State.HELD


async def test_reject_tells_the_sender_the_analysts_reason(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    held_id, value = await hold_one(gate, sink, rng)
    await review_of(gate).reject(held_id, "pat", "no need to know at this agency")
    assert gate.gate.quarantine.get(held_id).state is State.REJECTED
    [notice] = sink.messages
    assert notice.rcpt_tos == ["alice@dhs.gov"]
    text = parse(notice.content).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "no need to know at this agency" in text and held_id in text
    assert value not in text
    with pytest.raises(QuarantineError, match="already decided"):
        await review_of(gate).release(held_id, "sam", "changed my mind")


async def test_expiry_after_max_age_tells_the_sender(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    held_id, _ = await hold_one(gate, sink, rng)
    review = review_of(gate, days=14)
    assert await review.expire_due(datetime.now(UTC) + timedelta(days=13)) == []
    assert await review.expire_due(datetime.now(UTC) + timedelta(days=15)) == [held_id]
    assert gate.gate.quarantine.get(held_id).state is State.EXPIRED
    [notice] = sink.messages
    assert notice.rcpt_tos == ["alice@dhs.gov"]
    told = parse(notice.content)
    assert told["Subject"] == f"Not sent: privacy review expired: [ENCRYPT] {PURPOSE}"
    assert "Date:" in told.get_content() and "expired" in told.get_content()
    [event] = gate.gate.quarantine.events(held_id)
    assert event.actor == "piigate" and event.to_state is State.EXPIRED
    [note] = gate.gate.quarantine.notes(held_id)
    assert (note.kind, note.text) == ("notice", "notice of expired sent to the sender")


async def test_release_encrypted_seals_mail_the_sender_did_not_ask_to_encrypt(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    """An analyst's "release encrypted" on mail held as unscannable (no [ENCRYPT] asked): it
    leaves with an AES-256 zip as [ENCRYPT] would seal it (the parts with sensitive PII; an
    unreadable part stays as it was), the password goes to the sender, then the notice."""
    raw = message(
        subject=PURPOSE,
        body=f"Notes attached.\n{DISCLAIMER}\n",
        to=("clerk@example.com",),
        attachments=(("data.bin", b"\x00\x01BINARY" + b"\x00" * 64, "application/octet-stream"),),
    )
    code, reply = await send(gate.address, raw, rcpt_tos=("clerk@example.com",))
    assert code == 250 and "Held" in reply, reply
    held_id = reply.split(" as ")[1].split(";")[0]
    sink.handler.messages.clear()
    await review_of(gate).release(held_id, "pat", "the recipient asked", encrypt=True)
    [delivered] = [m for m in sink.messages if m.rcpt_tos == ["clerk@example.com"]]
    names = [p.get_filename() for p in parse(delivered.content).iter_attachments()]
    assert "protected.zip" in names
    subjects = [
        parse(m.content)["Subject"] for m in sink.messages if m.rcpt_tos == ["alice@dhs.gov"]
    ]
    assert subjects[0].startswith("Password for") and subjects[1].startswith("Sent after privacy")


async def test_notes_are_on_the_history_and_bulk_decisions_are_audited_one_by_one(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    """A note is written with its analyst; a bulk reject with one reason rejects each message
    with its own event, and a message already decided is reported, not decided twice."""
    first, _ = await hold_one(gate, sink, rng)
    second, _ = await hold_one(gate, sink, rng)
    review = review_of(gate)
    review.note(first, "pat", "asked the sender for the request letter")
    [note] = gate.gate.quarantine.notes(first)
    assert (note.actor, note.kind, note.text) == (
        "pat",
        "note",
        "asked the sender for the request letter",
    )
    await review.reject(second, "sam", "duplicate")
    results = await review.bulk([first, second], "pat", "reject", "not needed")
    assert [(r.held_id, r.done) for r in results] == [(first, True), (second, False)]
    assert "already decided" in results[1].error
    assert [e.reason for e in gate.gate.quarantine.events(first)] == ["not needed"]
    assert [e.reason for e in gate.gate.quarantine.events(second)] == ["duplicate"]


async def test_expedited_release_is_marked(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    held_id, _ = await hold_one(gate, sink, rng)
    await review_of(gate).release(held_id, "pat", "imminent threat to life", expedited=True)
    assert gate.gate.quarantine.get(held_id).expedited
    assert gate.gate.quarantine.events(held_id)[0].expedited


async def test_quarantine_list_command_shows_held_mail_masked(
    gate: RunningGate,
    sink: Sink,
    rng: random.Random,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held_id, value = await hold_one(gate, sink, rng)
    monkeypatch.setenv("PIIGATE_QUARANTINE__URL", settings.quarantine.url)
    monkeypatch.setenv("PIIGATE_QUARANTINE__KEY_FILE", str(settings.quarantine.key_file))
    monkeypatch.setenv("PIIGATE_QUARANTINE__DIR", str(settings.quarantine.dir))
    result = CliRunner().invoke(main, ["quarantine", "list"])
    assert result.exit_code == 0, result.output
    assert held_id in result.output and "example.com" in result.output
    assert value not in result.output
    as_json = CliRunner().invoke(main, ["quarantine", "list", "--json"])
    assert json.loads(as_json.output.splitlines()[0])["id"] == held_id


async def test_report_file_is_self_contained_and_lists_expedited_releases(
    gate: RunningGate,
    sink: Sink,
    rng: random.Random,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held_id, value = await hold_one(gate, sink, rng)
    await review_of(gate).release(held_id, "pat", "imminent danger", expedited=True)
    await hold_one(gate, sink, rng)
    for name, setting in (
        ("URL", settings.quarantine.url),
        ("KEY_FILE", str(settings.quarantine.key_file)),
        ("DIR", str(settings.quarantine.dir)),
    ):
        monkeypatch.setenv(f"PIIGATE_QUARANTINE__{name}", setting)
    monkeypatch.setenv("PIIGATE_LEDGER__URL", settings.ledger.url)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert "<svg" in html and f"{held_id} by pat: imminent danger" in html
    assert "Expedited releases (1)" in html
    assert "alice@dhs.gov: 2 held messages" in html  # a sender to coach
    assert value not in html


async def test_the_running_service_expires_old_held_mail_by_itself(
    shipped_settings: Settings,
    screener: Screener,
    tmp_path: Path,
    sink: Sink,
    rng: random.Random,
) -> None:
    """`piigate serve` checks every quarantine.expire_interval: a message held longer than
    max_age_days expires and its sender is told, with no command run."""
    from tests.integration.service import running_service, smtp_address

    base = settings_for(shipped_settings, tmp_path, sink.address)
    settings = base.model_copy(
        update={"quarantine": base.quarantine.model_copy(update={"expire_interval": 0.2})}
    )
    async with running_service(settings, screener) as service:
        raw = message(
            subject=f"[ENCRYPT] {PURPOSE}",
            body=f"SSN {ssn(rng)}\n{DISCLAIMER}\n",
            to=("clerk@example.com",),
        )
        code, reply = await send(smtp_address(service), raw, rcpt_tos=("clerk@example.com",))
        assert code == 250 and "Held" in reply
        store = service.gate.quarantine
        [held] = store.messages()
        old = (datetime.now(UTC) - timedelta(days=15)).isoformat()
        store.execute("UPDATE quarantine_messages SET held_at = ? WHERE id = ?", (old, held.id))
        told = 0
        for _ in range(100):  # the notice follows the state change: wait for both
            told = sum(m.rcpt_tos == ["alice@dhs.gov"] for m in sink.messages)
            if store.get(held.id).state is State.EXPIRED and told == 2:
                break
            await asyncio.sleep(0.1)
        assert store.get(held.id).state is State.EXPIRED
        assert told == 2  # held, expired


async def test_a_long_subject_is_held_and_found_by_the_queue(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    """A 9,000-character subject (random, so it does not compress) is held on either
    database (no index entry too big for PostgreSQL) and the queue's search finds it."""
    words = " ".join(f"{rng.getrandbits(32):08x}" for _ in range(999)) + " w0499"
    held_id, _ = await hold_one(gate, sink, rng, subject=f"{PURPOSE} {words}")
    page = queue_page(gate.gate.quarantine, QueueQuery.from_params({"q": "w0499"}))
    assert [r.id for r in page.rows] == [held_id]


async def test_earlier_disclosures_of_the_same_person_are_on_the_held_message(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    """A person disclosed to fbi.gov under a case, then held on the way to example.com: the
    held message says one of its people was disclosed before, to fbi.gov, under that case, and
    that a release would add example.com (two organisations in all)."""
    value = ssn(rng)
    body = f"SSN {value}\n{DISCLAIMER}\n"
    first = message(subject=f"[ENCRYPT] {PURPOSE} [CASE: OPR-2012-0042] a", body=body)
    code, reply = await send(gate.address, first, rcpt_tos=("x@fbi.gov",))
    assert code == 250 and "relayed" in reply, reply
    held_id, _ = await hold_one(gate, sink, rng)  # a different person: nothing earlier
    assert gate.gate.quarantine.details(held_id).already_disclosed == 0
    second = message(subject=f"[ENCRYPT] {PURPOSE} b", body=body, to=("clerk@example.com",))
    code, reply = await send(gate.address, second, rcpt_tos=("clerk@example.com",))
    assert code == 250 and "Held" in reply, reply
    details = gate.gate.quarantine.details(reply.split(" as ")[1].split(";")[0])
    assert details.ledger_known and details.already_disclosed == 1
    assert details.earlier_organizations == (("fbi.gov", 1),)
    assert details.new_organizations == (("example.com", 1),)
    assert (details.most_before, details.most_after) == (1, 2)
    assert details.earlier_cases == (("OPR-2012-0042", 1),)


async def test_a_held_list_shows_a_sample_of_findings_and_counts_every_one(
    gate: RunningGate, sink: Sink, rng: random.Random
) -> None:
    """A held message with 130 SSNs in its body: the page lists 100 findings, says 130 were
    found (30 counted beyond those listed), and counts all 130 people."""
    values = [ssn(rng) for _ in range(130)]
    body = "".join(f"SSN {value}\n" for value in values) + f"{DISCLAIMER}\n"
    raw = message(subject=f"[ENCRYPT] {PURPOSE}", body=body, to=("clerk@example.com",))
    code, reply = await send(gate.address, raw, rcpt_tos=("clerk@example.com",))
    assert code == 250 and "Held for privacy review" in reply, reply
    held_id = reply.split(" as ")[1].split(";")[0]
    store = gate.gate.quarantine
    held, details = store.get(held_id), store.details(held_id)
    assert len(held.findings) == 100 and details.omitted == 30
    assert held.individuals == 130
    assert findings_summary(held, details.omitted) == (
        "130 findings of sensitive PII (100 listed, 30 more counted)."
    )

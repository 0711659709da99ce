"""An SSN a sender puts in a Message-ID or an attachment's file name is found, and never
written verbatim by the gate: not in logs, the ledger, the quarantine index, metrics, SMTP
replies or notices. And a message too deep to parse gets a verdict, not a retry."""

from __future__ import annotations

import email
import email.policy
import io
import random
from collections.abc import Callable
from pathlib import Path

import pytest
import pyzipper
from prometheus_client import generate_latest
from structlog.testing import capture_logs

from piigate.act.encrypt import seal
from piigate.config import Settings
from piigate.http.metrics import GateMetrics
from piigate.model import Envelope
from piigate.pipeline import Screener
from tests.conftest import RunningGate, Sink, gate_running, send, settings_for
from tests.synthetic import ssn

RNG = random.Random(1402)


def _named(value: str) -> bytes:
    """A message whose Message-ID and attachment file name carry ``value`` (an SSN)."""
    return (
        "From: alice@dhs.gov\nTo: bob@fbi.gov\nSubject: Case update\n"
        f"Message-ID: <{value}@dhs.gov>\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nHello.\n"
        "--B\nContent-Type: application/octet-stream\n"
        f"Content-Disposition: attachment; filename*=utf-8''intake%20{value}.txt\n\n"
        "Nothing sensitive in here.\n--B--\n"
    ).encode()


def _forms(value: str) -> list[str]:
    return [value, value.replace("-", "")]


def _files_contain(folder: Path, value: str) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and any(f.encode() in path.read_bytes() for f in _forms(value)):
            found.append(path.name)
    return found


_QUARANTINE_RULE = (
    "rules:\n  - id: hold-sensitive-pii\n    when: sensitive-pii-in-plaintext\n"
    "    scope: {external: true}\n    action: quarantine\n    message: Held ({summary}).\n"
)


@pytest.mark.parametrize("action", ["deliver", "quarantine", "reject"])
async def test_ssn_in_message_id_and_file_name_is_written_nowhere(
    action: str,
    shipped_settings: Settings,
    screener: Screener,
    delivering_rules: Path,
    tmp_path: Path,
    sink: Sink,
) -> None:
    """Delivered under audit rules, held, or refused: the SSN in the Message-ID and the file
    name is found there, and no log event, ledger or quarantine file, metric, SMTP reply or
    message the sink received (notices) holds it; the delivered message itself is intact."""
    value = ssn(RNG)
    rules = {"deliver": delivering_rules, "quarantine": tmp_path / "hold"}.get(action)
    if action == "quarantine":
        (tmp_path / "hold").mkdir()
        (tmp_path / "hold" / "hold.yaml").write_text(_QUARANTINE_RULE)
    update = {"rules_dir": rules} if rules else {}
    settings = settings_for(shipped_settings, tmp_path / "state", sink.address, **update)
    metrics = GateMetrics(lambda: 0)
    with capture_logs() as logs:
        async with gate_running(settings, None if rules else screener) as running:
            running.gate.observer = metrics
            code, reply = await send(running.address, _named(value))
            records = running.records()
    exposition = generate_latest(metrics.registry).decode()
    assert code == {"deliver": 250, "quarantine": 250, "reject": 550}[action], reply
    assert not [f for f in _forms(value) if f in reply or f in exposition or f in repr(logs)]
    assert _files_contain(tmp_path / "state", value) == []
    delivered = [m for m in sink.messages if m.rcpt_tos == ["bob@fbi.gov"]]
    notices = [m for m in sink.messages if m.rcpt_tos != ["bob@fbi.gov"]]
    assert all(value.encode() not in m.content for m in notices)
    if action == "deliver":
        assert len(delivered) == 1 and value.encode() in delivered[0].content
        [record] = records
        assert record.message_id == "<***-**-****@dhs.gov>"
        assert [a.name for a in record.attachments] == ["intake ***-**-****.txt"]


def test_the_findings_name_the_message_id_and_the_file_name(screener: Screener) -> None:
    """The SSN is reported in ``header Message-ID`` and ``file name of attachment #1``, and the
    screening's Message-ID (what the gate writes) is masked."""
    value = ssn(RNG)
    screening = screener.screen(Envelope("alice@dhs.gov", ("bob@fbi.gov",)), _named(value))
    assert sorted(f.where for f in screening.detection.findings) == [
        "file name of attachment #1",
        "header Message-ID",
    ]
    assert screening.message.message_id == "<***-**-****@dhs.gov>"
    assert [a.name for a in screening.extraction.attachments] == ["intake ***-**-****.txt"]


def _nested(levels: int) -> bytes:
    opening = b"".join(
        b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1)
        for i in range(levels)
    )
    return (
        b"From: alice@dhs.gov\nTo: bob@fbi.gov\nSubject: Nested\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=b0\n\n"
        + opening
        + b"--b%d\nContent-Type: text/plain\n\nhello\n" % levels
    )


def _forwarded(levels: int) -> bytes:
    head = b"From: alice@dhs.gov\nTo: bob@fbi.gov\nSubject: Nested\nMIME-Version: 1.0\n"
    return head + b"Content-Type: message/rfc822\n\n" * levels + b"Subject: in\n\nhello\n"


@pytest.mark.parametrize("build", [_nested, _forwarded])
async def test_mime_nested_too_deep_gets_a_verdict_not_a_retry(
    gate: RunningGate, sink: Sink, build: Callable[[int], bytes]
) -> None:
    """10,000 nested multiparts (past max_parts: not parsed at all) and 10,000 nested
    forwards (past the parser's recursion) are unscannable content: held for review under
    the shipped policy (a definite 250, never a 451 the sending MTA would retry for days)."""
    code, reply = await send(gate.address, build(10_000))
    assert code == 250, reply
    assert "Held for privacy review" in reply
    assert [m for m in sink.messages if m.rcpt_tos == ["bob@fbi.gov"]] == []
    [held] = gate.gate.quarantine.messages()
    assert "unscannable-content" in held.rules


def test_encrypting_on_the_senders_behalf_moves_pii_out_of_headers_and_names(
    screener: Screener,
) -> None:
    """When the gate encrypts a message for its sender, an SSN in a copied header (the From
    display name, the Message-ID) travels only inside the AES zip (headers.txt), the header
    keeps just the address (a new Message-ID), and a kept attachment's name is masked."""
    value = ssn(RNG)
    raw = _named(value).replace(
        b"From: alice@dhs.gov", f'From: "Alice SSN {value}" <alice@dhs.gov>'.encode()
    )
    screening = screener.screen(Envelope("alice@dhs.gov", ("bob@fbi.gov",)), raw)
    assert {"header From", "header Message-ID"} <= {f.where for f in screening.detection.findings}
    sealed = seal(screening, "Privacy Act disclaimer.", "[ENCRYPT]")
    assert not [f for f in _forms(value) if f.encode() in sealed.content]
    delivered = email.message_from_bytes(sealed.content, policy=email.policy.default)
    assert delivered["From"] == "alice@dhs.gov"
    assert value not in str(delivered["Message-ID"])
    names = [part.get_filename() for part in delivered.iter_attachments()]
    assert names == ["intake ***-**-****.txt", "protected.zip"]
    zipped = next(p for p in delivered.iter_attachments() if p.get_filename() == "protected.zip")
    with pyzipper.AESZipFile(io.BytesIO(zipped.get_content())) as archive:
        archive.setpassword(sealed.password.encode())
        headers = archive.read("headers.txt").decode()
    assert f"Alice SSN {value}" in headers and f"<{value}@dhs.gov>" in headers

"""Every MIME trick of ``mime_corpus`` crossed with SSN, card and name + date of birth is
refused for an external recipient with the place named; business mail written with the same
tricks is delivered with no finding (issue 14, part ``mime``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from piigate.cli import main
from piigate.model import Action, Envelope
from piigate.pipeline import Screener
from tests.conftest import RunningGate, Sink, send
from tests.detection.conftest import REPORT
from tests.redteam.mime_corpus import Case, cases
from tests.redteam.mime_precision import PRECISION

CASES = list(cases())
EXTERNAL = Envelope("alice@dhs.gov", ("bob@fbi.gov",))


def _ids(case: Case) -> str:
    return f"{case.trick}-{case.kind}"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_each_trick_is_refused_with_its_place_named(screener: Screener, case: Case) -> None:
    """The PII the trick hides is found, in the place the trick put it, and the message is
    refused for the external recipient."""
    screening = screener.screen(EXTERNAL, case.raw)
    places = [f.where for f in screening.detection.findings]
    assert any(where.startswith(case.place) for where in places), places
    assert screening.verdict.action is Action.REJECT


@pytest.mark.parametrize("name", sorted(PRECISION))
def test_business_mail_with_the_same_tricks_has_no_finding(screener: Screener, name: str) -> None:
    """Calendar invites, flowed mail, headers full of order numbers, a long HTML line folded
    at 998 and UTF-16 text are read and carry no finding: delivered."""
    screening = screener.screen(EXTERNAL, PRECISION[name])
    assert [(f.entity_type, f.where) for f in screening.detection.findings] == []
    assert screening.extraction.unscannable == ()
    assert screening.verdict.action is Action.DELIVER


def test_scan_json_refuses_the_whole_corpus_and_delivers_the_precision_set(
    tmp_path: Path,
) -> None:
    """``piigate scan --json`` over the corpus files: every case refused with its place, every
    precision message delivered with no finding (the counts the lead's generator prints)."""
    files = []
    for number, case in enumerate(CASES):
        path = tmp_path / f"{number:03d}.eml"
        path.write_bytes(case.raw)
        files.append(path)
    for name, raw in PRECISION.items():
        path = tmp_path / f"precision-{name}.eml"
        path.write_bytes(raw)
        files.append(path)
    result = CliRunner().invoke(main, ["scan", "--json", *map(str, files)])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    refused = [
        line["action"] == "reject"
        and any(f["where"].startswith(case.place) for f in line["findings"])
        for line, case in zip(lines, CASES, strict=False)
    ]
    delivered = [
        line["action"] == "deliver" and line["findings"] == [] for line in lines[len(CASES) :]
    ]
    REPORT.append(
        f"red-team MIME and header tricks: refused with their place: {sum(refused)}/{len(CASES)}; "
        f"business mail delivered clean: {sum(delivered)}/{len(PRECISION)} (piigate scan --json)"
    )
    assert all(refused) and len(refused) == len(CASES)
    assert all(delivered) and len(delivered) == len(PRECISION)


SAMPLE = [
    "message-id",
    "rfc2231-file-name",
    "smtp-fold-998",
    "rfc822-base64",
    "utf16-body-declared",
]


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.trick in SAMPLE and c.kind == "ssn"], ids=_ids
)
async def test_a_sample_is_refused_through_the_smtp_gate(
    gate: RunningGate, sink: Sink, case: Case
) -> None:
    """Through the real gate: 550 naming the place, nothing reaches the upstream."""
    code, reply = await send(gate.address, case.raw)
    assert code == 550, reply
    assert case.place.split(" of ")[0] in reply
    assert sink.messages == []

"""The red-team corpus through ``piigate scan --json`` (every case) and the SMTP gate (a
sample): each (trick, kind, place) is refused for an outside recipient with the place named;
the business mail written with the same tricks is delivered with no finding."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningGate, Sink, send
from tests.detection.conftest import REPORT
from tests.redteam.corpus import Case, precision_corpus, redteam_corpus

EXTERNAL = "bob@fbi.gov"
SMTP_SAMPLE_EVERY = 9
"""Every ninth case of each corpus also goes through the SMTP gate."""


@pytest.fixture(scope="module")
def attacks() -> list[Case]:
    return list(redteam_corpus())


@pytest.fixture(scope="module")
def business() -> list[Case]:
    return list(precision_corpus())


def scan_all(cases: Iterable[Case], folder: Path) -> dict[str, dict[str, Any]]:
    """Write each case to a file and run the real ``piigate scan --json`` once over them all;
    the JSON line of each case, by label."""
    paths: dict[str, str] = {}
    for index, case in enumerate(cases):
        path = folder / f"case-{index:04d}.eml"
        path.write_bytes(case.raw)
        paths[str(path)] = case.label
    result = subprocess.run(
        [sys.executable, "-m", "piigate", "scan", "--json", "--to", EXTERNAL, *paths],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode in (0, 3), result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return {paths[line["file"]]: line for line in lines}


def _refused_at(line: dict[str, Any], case: Case) -> bool:
    found = any(
        f["type"] == case.entity and f["where"] == case.where for f in line.get("findings", [])
    )
    return line.get("action") in ("reject", "quarantine") and found


def test_every_attack_is_refused_naming_its_place(attacks: list[Case], tmp_path: Path) -> None:
    """Every red-team case is refused for an outside recipient by ``piigate scan --json``,
    with a finding of its kind at its place (hidden HTML text named as such)."""
    lines = scan_all(attacks, tmp_path)
    missed = [case.label for case in attacks if not _refused_at(lines[case.label], case)]
    tricks = {case.label.split("/")[0] for case in attacks}
    REPORT.append(
        f"red-team corpus: attacks refused with their place: "
        f"{len(attacks) - len(missed)}/{len(attacks)} "
        f"({len(tricks)} tricks x 3 kinds x places, piigate scan --json)"
    )
    assert missed == []


def test_business_mail_with_the_same_tricks_is_delivered(
    business: list[Case], tmp_path: Path
) -> None:
    """Business mail written with every trick (no PII) is delivered with no finding."""
    lines = scan_all(business, tmp_path)
    flagged = [
        case.label
        for case in business
        if lines[case.label]["action"] != "deliver" or lines[case.label]["findings"]
    ]
    REPORT.append(
        f"red-team corpus: business mail with the same tricks delivered clean: "
        f"{len(business) - len(flagged)}/{len(business)} "
        f"(precision set false alarms: {len(flagged)})"
    )
    assert flagged == []


async def test_a_sample_of_attacks_is_refused_over_smtp(
    attacks: list[Case], gate: RunningGate, sink: Sink
) -> None:
    """Through the real gate every sampled attack is answered 550 and the reply names the
    place; nothing reaches the upstream."""
    wrong = []
    for case in attacks[::SMTP_SAMPLE_EVERY]:
        code, reply = await send(gate.address, case.raw, rcpt_tos=(EXTERNAL,))
        if code != 550 or f"{case.where}:" not in reply:
            wrong.append((case.label, code))
    assert wrong == []
    assert sink.messages == []


async def test_a_sample_of_business_mail_is_relayed_over_smtp(
    business: list[Case], gate: RunningGate, sink: Sink
) -> None:
    """Through the real gate every sampled business mail is relayed (250)."""
    sample = business[::SMTP_SAMPLE_EVERY]
    codes = [(await send(gate.address, case.raw, rcpt_tos=(EXTERNAL,)))[0] for case in sample]
    assert codes == [250] * len(sample)
    assert len(sink.messages) == len(sample)

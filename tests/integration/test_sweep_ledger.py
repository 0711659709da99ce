"""``piigate sweep --record`` on the real ledger: reconstructed records are marked, dated by
the message, never added twice (a second sweep, or mail the gate already recorded live),
listed apart from live records and in the accounting letter; an existing ledger takes the
new column without its chain breaking."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from piigate.cli import main
from piigate.config import HostPort, Settings
from piigate.model import DisclosureRecord, Recipient
from piigate.record import form, ledger_for, open_ledger, store
from piigate.record.chain import GENESIS, seal
from piigate.record.dialects import connect
from piigate.record.identity import ssn_key
from piigate.record.migrations import MIGRATIONS
from piigate.sweep import Engine, Filters, Sizes, sweep
from tests.conftest import Sink, send, settings_for, start_gate
from tests.sweep_archive import StopsAfter, archive, people, scenario_messages, write_mbox

LIVE = DisclosureRecord(
    recorded_at="2026-01-05T12:00:00.000+00:00",
    sender="alice@dhs.gov",
    recipients=(Recipient("agent@fbi.gov", "fbi.gov", None),),
    pii_counts={"US_SSN": 1},
    individuals=0,
    message_id="<old@dhs.gov>",
    sha256="ab" * 32,
    outcome="delivered",
)
"""A live record, as the gate writes it."""


def swept(individual_hashes: tuple[str, ...], **changes: Any) -> DisclosureRecord:
    """A record as a sweep writes it: reconstructed from an archive, dated by the message
    (2013), to agency07.gov, with these individuals."""
    return replace(
        LIVE,
        recorded_at="2013-03-04T09:00:00.000+00:00",
        message_id="<swept@dhs.gov>",
        recipients=(Recipient("liaison@agency07.gov", "agency07.gov", None),),
        individuals=len(individual_hashes),
        individual_hashes=individual_hashes,
        outcome="reconstructed",
        reconstructed_from="/archive/sent.mbox",
        **changes,
    )


@pytest.fixture
def delivering(
    shipped_settings: Settings, tmp_path: Path, sink: Sink, delivering_rules: Path
) -> Settings:
    return settings_for(shipped_settings, tmp_path, sink.address, rules_dir=delivering_rules)


async def test_a_sweep_records_once_beside_what_the_gate_recorded_live(
    delivering: Settings, tmp_path: Path
) -> None:
    """The gate records the first scenario message live; sweeping the archive records the
    other disclosures as reconstructed (dated by their Date header), and sweeping it again
    adds nothing; the person in the first list has one live and one reconstructed
    disclosure in their accounting, and the chain verifies."""
    story = scenario_messages(18)
    running = await start_gate(delivering)
    try:
        code, _ = await send(
            running.address, bytes(story[0]), rcpt_tos=("liaison@agency00.gov",),
            mail_from="case.agent@cbp.dhs.gov",
        )  # fmt: skip
        assert code == 250
    finally:
        await running.server.stop(grace=5)
        running.gate.close()
    mbox = write_mbox(tmp_path / "sent.mbox", story)
    ledger = ledger_for(delivering)
    try:
        first = await asyncio.to_thread(
            sweep, delivering, [mbox], Filters(), Engine("local", 1), ledger=ledger
        )
        assert (first.recorded, first.already_recorded) == (first.disclosures - 1, 1)
        again = await asyncio.to_thread(
            sweep, delivering, [mbox], Filters(), Engine("local", 1), ledger=ledger
        )
        assert (again.recorded, again.already_recorded) == (0, first.disclosures)
        live, rebuilt = form.live_and_reconstructed(ledger.records())
        assert [r.outcome for r in live] == ["delivered"]
        assert len(rebuilt) == first.disclosures - 1
        assert {r.reconstructed_from for r in rebuilt} == {str(mbox)}
        assert all(r.outcome == "reconstructed" for r in rebuilt)
        assert min(r.recorded_at for r in rebuilt).startswith("2013-03-13T09:00:00.000")
        person = ssn_key(people(18)[0][1])
        letter = form.accounting_text(ledger.accounting(person))
        assert letter.startswith("2 disclosures: 1 recorded by the gate, 1 reconstructed")
        assert "source: " + str(mbox) in letter
        assert ledger.verify().intact
    finally:
        ledger.close()


def test_an_existing_ledger_takes_the_new_column_and_still_verifies(
    ledger_url: str, tmp_path: Path
) -> None:
    """A ledger at schema step 3 with a live record is migrated: the record reads as live,
    its hash is unchanged (the chain verifies) and a sweep finds it by Message-ID."""
    key = secrets.token_bytes(32)
    db = connect(ledger_url)
    assert store.schema_version(db) == 0
    for version, steps in enumerate(MIGRATIONS[:3], start=1):
        for statement in steps:
            db.execute(db.ddl(statement))
        db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
    record = seal(LIVE, 1, GENESIS)
    columns = store._COLUMNS.replace(", details, reconstructed_from", "")  # steps 4 and 5
    db.execute(
        f"INSERT INTO disclosures ({columns}) VALUES ({', '.join('?' * 17)})",
        (1, record.recorded_at, record.sender, record.message_id, record.sha256, "delivered",
         0, '{"US_SSN": 1}', "[]", None, None, None, None, None, "[]", GENESIS, record.hash),
    )  # fmt: skip
    db.execute(
        "INSERT INTO disclosure_recipients (disclosure_id, position, address, organization)"
        " VALUES (1, 0, 'agent@fbi.gov', 'fbi.gov')"
    )
    db.execute("UPDATE ledger_index_state SET indexed_through = 1")
    db.close()
    ledger = open_ledger(ledger_url, key, journal=tmp_path / "journal", agencies={})
    try:
        [migrated] = ledger.records()
        assert migrated == replace(record, reconstructed_from=None)
        assert ledger.verify().intact
        assert ledger.has_message("<old@dhs.gov>", ("cd" * 32, "ab" * 32))
        assert not ledger.has_message("<old@dhs.gov>", ("cd" * 32,))
    finally:
        ledger.close()


def test_records_list_shows_reconstructed_records_apart(tmp_path: Path) -> None:
    """`records list` prints the gate's records, then the reconstructed ones under their
    own heading; --json and --csv carry the archive they came from (null / empty if live)."""
    url = f"sqlite:///{tmp_path}/ledger.db"
    ledger = open_ledger(url, None, journal=tmp_path / "journal", agencies={})
    ledger.append(
        replace(
            LIVE,
            recorded_at="2013-03-04T09:00:00.000+00:00",
            outcome="reconstructed",
            reconstructed_from="/archive/sent.mbox",
        )
    )
    ledger.append(replace(LIVE, message_id="<b@dhs.gov>"))
    ledger.close()
    env = {"PIIGATE_LEDGER__URL": url, "PIIGATE_LOG__FORMAT": "console"}
    text = CliRunner().invoke(main, ["records", "list"], env=env)
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0].startswith("2\t2026-01-05")
    assert lines[1] == "# reconstructed from archived mail (no gate decision)"
    assert lines[2].startswith("1\t2013-03-04")
    as_json = CliRunner().invoke(main, ["records", "list", "--json"], env=env)
    sources = [json.loads(line)["reconstructed_from"] for line in as_json.stdout.splitlines()]
    assert sources == [None, "/archive/sent.mbox"]
    as_csv = CliRunner().invoke(main, ["records", "list", "--csv"], env=env)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["reconstructed_from"] for r in rows] == ["", "/archive/sent.mbox"]


def test_an_interrupted_recording_sweep_resumes_to_the_same_ledger_and_report(
    shipped_settings: Settings, tmp_path: Path
) -> None:
    """A sweep stopped after three partitions continues with --resume: only the other
    partitions run, the report's figures and messages.csv are those of a whole run, and the
    ledger holds each disclosure once, its chain intact."""
    settings = settings_for(shipped_settings, tmp_path, HostPort("127.0.0.1", 25))
    messages, figures = archive(30)
    mbox = write_mbox(tmp_path / "sent.mbox", messages)
    out, sizes = tmp_path / "out", Sizes(mbox_bytes=16 * 1024)
    ledger = ledger_for(settings)
    try:
        with pytest.raises(KeyboardInterrupt):
            sweep(settings, [mbox], Filters(), StopsAfter("local", 1, after=3),
                  ledger=ledger, out=out, sizes=sizes)  # fmt: skip
        assert len((out / "sweep-state.jsonl").read_text().splitlines()) == 3
        tally = sweep(settings, [mbox], Filters(), Engine("local", 1),
                      ledger=ledger, out=out, sizes=sizes, resume=True)  # fmt: skip
        summary = json.loads((out / "summary.json").read_text())
        assert (summary["resumed_partitions"], summary["individuals_complete"]) == (3, False)
        assert summary["messages"] == figures.messages
        assert summary["incidents"] == figures.incidents
        assert summary["by_organization"] == figures.incident_organizations
        assert tally.partitions == len((out / "sweep-state.jsonl").read_text().splitlines())
        rows = list(csv.DictReader(io.StringIO((out / "messages.csv").read_text())))
        assert len(rows) == figures.external
        assert len({r["location"] for r in rows}) == figures.external
        assert len(ledger.records()) == summary["disclosures"] == figures.incidents
        assert ledger.verify().intact
    finally:
        ledger.close()


def test_every_ledger_listing_keeps_reconstructed_records_apart_and_filters_them(
    shipped_settings: Settings, tmp_path: Path
) -> None:
    """One person disclosed live in 2026 and, by a sweep, in 2013: `records list`,
    `recipients`, `accounting`, `incident` and the accounting letter each take --origin
    (live or reconstructed); the incident and each case recipient count the reconstructed
    records, and the letter tables them under a heading of their own, after the gate's."""
    settings = settings_for(shipped_settings, tmp_path, HostPort("127.0.0.1", 25))
    ssn = people(18)[0][1]
    ledger = ledger_for(settings)
    try:
        assert ledger.identities is not None
        person = ledger.identities.hash_all(frozenset({ssn_key(ssn)}))
        ledger.append(replace(LIVE, individuals=1, individual_hashes=person, case_id="C1"))
        ledger.append(swept(person, case_id="C1"))
    finally:
        ledger.close()
    env = {
        "PIIGATE_LEDGER__URL": settings.ledger.url,
        "PIIGATE_LEDGER__KEY_FILE": str(settings.ledger.key_file),
        "PIIGATE_LOG__FORMAT": "console",
    }

    def run(*args: str, stdin: str | None = None) -> str:
        result = CliRunner().invoke(main, ["records", *args], env=env, input=stdin)
        assert result.exit_code == 0, result.output
        return result.stdout

    assert [line.split("\t")[0] for line in run("list", "--origin", "live").splitlines()] == ["1"]
    heading, rebuilt = run("list", "--origin", "reconstructed").splitlines()
    assert (heading, rebuilt[:12]) == (f"# {form.RECONSTRUCTED}", "2\t2013-03-04")
    by_address = [
        json.loads(line) for line in run("recipients", "--case", "C1", "--json").splitlines()
    ]
    assert [(r["address"], r["messages"], r["reconstructed"]) for r in by_address] == [
        ("liaison@agency07.gov", 1, 1),
        ("agent@fbi.gov", 1, 0),
    ]
    assert "\tagent@fbi.gov\t" not in run("recipients", "--case", "C1", "--origin", "reconstructed")
    both = json.loads(run("incident", "--json"))
    assert (both["messages"], both["reconstructed"]) == (2, 1)
    live = json.loads(run("incident", "--json", "--origin", "live"))
    assert (live["messages"], live["reconstructed"], live["first"][:4]) == (1, 0, "2026")
    assert "\n  reconstructed (archives)  1\n" in run("incident")
    text = run("accounting", "--ssn", "-", "--origin", "reconstructed", stdin=ssn + "\n")
    assert text.startswith("1 disclosures: 0 recorded by the gate, 1 reconstructed")
    letter = tmp_path / "letter.html"
    run("accounting", "--ssn", "-", "--letter", str(letter), stdin=ssn + "\n")
    html = letter.read_text()
    gate_part, _, archive_part = html.partition('<h2 id="reconstructed">')
    assert "2026-01-05" in gate_part and "agency07.gov" not in gate_part
    assert "2013-03-04" in archive_part and "liaison@agency07.gov" in archive_part
    run("accounting", "--ssn", "-", "--letter", str(letter), "--origin", "live",
        stdin=ssn + "\n")  # fmt: skip
    assert 'id="reconstructed"' not in letter.read_text()

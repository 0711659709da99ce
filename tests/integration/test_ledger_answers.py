"""The ledger's answers, as a privacy officer checks them, on SQLite and on the real
PostgreSQL: a person is found by every identifier a message carried, read-only commands never
create a ledger, a record says what happened (an uninspected release, the zip [ENCRYPT]
built, an audit-mode delivery), and what came from mail is inert on a terminal."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from piigate.cli import main
from piigate.config import Settings
from piigate.quarantine.review import Review
from piigate.record import ledger_for, store
from tests.conftest import RunningGate, Sink, gate_running, send, settings_for
from tests.formats import aes_zip
from tests.integration.test_policy_rules import DISCLAIMER, PURPOSE
from tests.synthetic import message, ssn

OSC = "\x1b]8;;http://attacker.test/\x07"
"""An OSC 8 hyperlink opener: a terminal that receives it turns the rest into a link."""


@pytest.fixture
def rng() -> random.Random:
    return random.Random(17)


@pytest.fixture
def settings(shipped_settings: Settings, tmp_path: Path, sink: Sink, ledger_url: str) -> Settings:
    """A gate relaying to the sink with its ledger (and quarantine) on each backend."""
    base = settings_for(shipped_settings, tmp_path, sink.address)
    return base.model_copy(
        update={
            "quarantine": base.quarantine.model_copy(update={"url": ledger_url}),
            "ledger": base.ledger.model_copy(update={"url": ledger_url}),
        }
    )


def cli_env(settings: Settings) -> dict[str, str]:
    return {
        "PIIGATE_LEDGER__URL": settings.ledger.url,
        "PIIGATE_LEDGER__KEY_FILE": str(settings.ledger.key_file),
        "PIIGATE_QUARANTINE__URL": settings.quarantine.url,
        "PIIGATE_LOG__FORMAT": "console",
    }


def records(settings: Settings, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["records", *args], env=cli_env(settings))
    return result.exit_code, result.stdout, result.stderr


def gate_records_with_hashes(settings: Settings) -> list[Any]:
    """The ledger's records with their individuals' hashes, as verify reads them."""
    ledger = ledger_for(settings)
    try:
        return [r for batch in store.batches(ledger._db, 0) for r in batch]
    finally:
        ledger.close()


def person_rows(rng: random.Random) -> tuple[str, bytes, bytes]:
    """One person's SSN; a list with their SSN, name, DOB, A-number and passport (and one other
    person); a list with their name and DOB only."""
    value = ssn(rng)
    full = (
        "name,date of birth,ssn,a-number,passport number\n"
        f"Jane Q. Roe,1980-04-12,{value},A187654321,531415926\n"
        f"John Doe,1975-01-02,{ssn(rng)},,\n"
    ).encode()
    partial = b'name,date of birth\n"ROE, Jane",1980-04-12\n'
    return value, full, partial


async def test_a_person_is_found_by_every_identifier_counted_once(
    settings: Settings, delivering_rules: Path, rng: random.Random
) -> None:
    """A message carrying a person's SSN, name+DOB, A-number and passport is found by each of
    them; a later one with name+DOB only is found by name+DOB; asking with all of them lists
    each disclosure once, and a record still counts people, not keys."""
    value, full, partial = person_rows(rng)
    async with gate_running(settings.model_copy(update={"rules_dir": delivering_rules})) as gate:
        for name, data in (("full.csv", full), ("partial.csv", partial)):
            raw = message(subject=name, attachments=((name, data, "text/csv"),))
            code, reply = await send(gate.address, raw)
            assert code == 250, reply
        first, second = gate.records()
    assert (first.individuals, second.individuals) == (2, 1)
    # People are counted by their strongest keys; their other keys are kept for look-up only.
    [first_whole] = [r for r in gate_records_with_hashes(settings) if r.id == first.id]
    assert (len(first_whole.individual_hashes), len(first_whole.lookup_hashes)) == (2, 4)
    by = {
        "ssn": ["--ssn", value],
        "name-dob": ["--name", "Jane Roe", "--dob", "1980-04-12"],
        "a-number": ["--a-number", "A-187-654-321"],
        "passport": ["--passport", "531415926"],
    }
    found = {}
    for key, args in by.items():
        code, out, err = records(settings, "accounting", *args, "--json")
        assert code == 0, err
        found[key] = [json.loads(line)["id"] for line in out.splitlines()]
    assert found == {"ssn": [1], "name-dob": [1, 2], "a-number": [1], "passport": [1]}
    code, out, _ = records(settings, "accounting", *by["ssn"], *by["name-dob"], *by["a-number"])
    assert code == 0 and out.startswith("2 disclosures") and value not in out


async def test_the_letter_an_individual_is_owed_says_nothing_of_others(
    settings: Settings, delivering_rules: Path, rng: random.Random, tmp_path: Path
) -> None:
    """`accounting --letter` writes the person's accounting (date, nature with the person's
    own identifiers, purpose, each recipient agency and address) and nothing of the other
    person in the same list; `--recipients` names whom to inform of a correction, once."""
    value, full, partial = person_rows(rng)
    async with gate_running(settings.model_copy(update={"rules_dir": delivering_rules})) as gate:
        for name, data in (("full.csv", full), ("partial.csv", partial)):
            raw = message(subject=f"{name} {PURPOSE}", attachments=((name, data, "text/csv"),))
            code, reply = await send(gate.address, raw)
            assert code == 250, reply
        first, _ = gate.records()
    letter = tmp_path / "letter.html"
    who = ["--ssn", value, "--name", "Jane Roe", "--dob", "1980-04-12"]
    code, out, err = records(settings, "accounting", *who, "--letter", str(letter))
    assert (code, out.strip()) == (0, f"accounting letter: {letter} (2 disclosures)"), err
    html = letter.read_text()
    assert html.count("<tr><td>") == 2 and "Department of Homeland Security" in html
    assert "included your Social Security number, name and date of birth" in html
    assert "included your name and date of birth</td>" in html
    assert "routine use 12, background investigation" in html
    assert "Federal Bureau of Investigation, bob@fbi.gov" in html
    assert value not in html and "individuals" not in html and first.message_id not in html
    assert "1975-01-02" not in html and "John" not in html  # the other person
    code, out, _ = records(settings, "accounting", *who, "--recipients")
    assert (code, out) == (0, "Federal Bureau of Investigation, bob@fbi.gov\n")


async def test_read_only_commands_never_create_a_ledger(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no ledger where the settings point (a relative SQLite path run from another
    directory; an empty PostgreSQL database), every read-only command fails in one line naming
    where it looked, exit 2, and leaves nothing behind; `records init` creates it."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    if settings.ledger.url.startswith("sqlite"):
        settings = settings.model_copy(
            update={"ledger": settings.ledger.model_copy(update={"url": "sqlite:///var/l.db"})}
        )
        looked_for = str(elsewhere / "var" / "l.db")
    else:
        looked_for = settings.ledger.url
    commands = [
        ["list"],
        ["verify"],
        ["show", "1"],
        ["recipients", "--case", "C1"],
        ["accounting", "--ssn", "512-34-7781"],
    ]
    for args in commands:
        code, out, err = records(settings, *args)
        assert (code, out) == (2, ""), args
        assert err.count("\n") == 1 and f"ledger {looked_for}: does not exist" in err, err
    assert not (elsewhere / "var").exists()
    if settings.ledger.url.startswith("postgresql"):
        with psycopg.connect(settings.ledger.url) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()
        assert tables == (0,)
    assert records(settings, "init")[0] == 0
    assert records(settings, "verify")[1].strip() == "ledger intact: 0 records verified"


async def test_mistyped_postgres_database_is_named_in_one_line(
    settings: Settings, postgres_url: str
) -> None:
    """A ledger.url naming a database that does not exist is one line naming it (no password)."""
    url = postgres_url.rsplit("/", 1)[0] + "/no_such_ledger_db"
    wrong = settings.model_copy(update={"ledger": settings.ledger.model_copy(update={"url": url})})
    code, _, err = records(wrong, "list")
    assert code == 2 and err.count("\n") == 1 and f"ledger {url}: cannot open" in err


@pytest.fixture
def holding_encrypted(tmp_path: Path, repo: Path) -> Path:
    """The shipped rules with the optional encrypted-not-inspected rule turned on."""
    folder = tmp_path / "rules-hold-encrypted"
    folder.mkdir()
    for source in (repo / "rules").glob("*.yaml"):
        text = source.read_text()
        if source.name == "default.yaml":
            head, rule = text.split("  - id: encrypted-not-inspected\n")
            text = (
                head
                + "  - id: encrypted-not-inspected\n"
                + rule.replace("enabled: false", "enabled: true", 1)
            )
        (folder / source.name).write_text(text)
    return folder


async def test_an_uninspected_expedited_release_says_so_and_its_file_name_is_inert(
    settings: Settings, holding_encrypted: Path, rng: random.Random
) -> None:
    """An encrypted zip the gate could not open, held and released (expedited) by an analyst:
    its record says the zip was not inspected and why, who released it and why, that the
    release was expedited; the zip's file name (with an OSC escape) reaches no terminal raw."""
    archive = aes_zip({"list.csv": f"name,ssn\nA,{ssn(rng)}\n".encode()}, "secret-pw")
    raw = message(
        subject=PURPOSE,
        body=f"Attached.\n{DISCLAIMER}\n",
        attachments=((f"{OSC}list.zip", archive, "application/zip"),),
    )
    async with gate_running(settings.model_copy(update={"rules_dir": holding_encrypted})) as gate:
        code, reply = await send(gate.address, raw)
        assert code == 250 and "Held for privacy review" in reply, reply
        held_id = reply.split(" as ")[1].split(";")[0]
        await _review(gate).release(held_id, "pat", "court order 2026-7", expedited=True)
    code, text, _ = records(settings, "show", "1")
    assert code == 0 and "\x1b" not in text and "\x07" not in text
    assert "\\x1b]8;;http://attacker.test/\\x07list.zip: encrypted; the gate had no password" in (
        text
    )
    assert "no PII found in what was read; 0 individuals" in text
    assert "released from quarantine (expedited) by pat: court order 2026-7" in text
    assert "released with content the gate did not inspect" in text
    assert "every part was read" not in text
    code, html, _ = records(settings, "show", "1", "--html")
    assert code == 0 and "\x1b" not in html and "encrypted; the gate had no password" in html
    for args in (["list"], ["list", "--csv"], ["list", "--json"]):
        out = records(settings, *args)[1]
        assert "\x1b" not in out and "\x07" not in out, args


async def test_encrypt_lists_the_zip_the_gate_built_with_its_grade(
    settings: Settings, rng: random.Random
) -> None:
    """[ENCRYPT] to an organisation with a sharing agreement: the record lists the AES-256 zip
    the gate built (its name, grade and what went into it), not "Attachments none"."""
    raw = message(subject=f"[ENCRYPT] {PURPOSE}", body=f"SSN {ssn(rng)}\n{DISCLAIMER}\n")
    async with gate_running(settings) as gate:
        code, reply = await send(gate.address, raw)
        assert code == 250, reply
        (record,) = gate.records()
    assert record.outcome == "encrypted" and record.sealed is not None
    assert (record.sealed.name, str(record.sealed.grade)) == ("protected.zip", "encrypted-strong")
    code, text, _ = records(settings, "show", "1")
    assert code == 0
    assert (
        "protected.zip (application/zip" in text and "encrypted-strong, built by the gate" in text
    )
    assert "Attachments                        none" not in text


async def test_audit_mode_delivery_is_shown_as_such(settings: Settings, rng: random.Random) -> None:
    """A delivery that broke rules in audit mode says so in the record, the form and the list."""
    policy = settings.policy.model_copy(update={"audit": True})
    async with gate_running(settings.model_copy(update={"policy": policy})) as gate:
        code, reply = await send(gate.address, message(body=f"SSN {ssn(rng)}\n"))
        assert code == 250, reply
        (record,) = gate.records()
    assert "unencrypted-sensitive-pii" in record.audit_rules
    code, text, _ = records(settings, "show", "1")
    assert code == 0 and "delivered in audit mode: broke " in text and "not enforced" in text
    assert records(settings, "list")[1].rstrip().endswith("delivered (audit mode)")
    (row,) = csv.DictReader(io.StringIO(records(settings, "list", "--csv")[1]))
    assert row["outcome"] == "delivered"


def _review(gate: RunningGate) -> Review:
    return Review(gate.gate.quarantine, gate.gate.actor, gate.gate.screener, timedelta(days=14))

"""The `piigate records` commands as an analyst or an inspector runs them, on a real SQLite
ledger filled through the ledger's own API: list (text, JSON, CSV, filters), recipients,
accounting (the SSN from stdin), show (text and printable HTML), verify, prune."""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from piigate.cli import main
from piigate.keys import create_key_file
from piigate.model import DisclosureRecord, Recipient
from piigate.record import open_ledger

SSNS = ("512-34-7781", "498-21-3310")  # synthetic, post-2011 valid


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    key_file = tmp_path / "ledger.key"
    create_key_file(key_file)
    return {
        "PIIGATE_LEDGER__URL": f"sqlite:///{tmp_path}/ledger.db",
        "PIIGATE_LEDGER__KEY_FILE": str(key_file),
        "PIIGATE_LOG__FORMAT": "console",
    }


@pytest.fixture
def filled(env: dict[str, str]) -> dict[str, str]:
    """Three disclosures: case C1 to fbi.gov (both people, then the first), C2 to usdoj.gov."""
    key = bytes.fromhex(Path(env["PIIGATE_LEDGER__KEY_FILE"]).read_text())
    ledger = open_ledger(env["PIIGATE_LEDGER__URL"], key, agencies={})
    assert ledger.identities is not None
    plan = [
        ("2026-01-05", "fbi.gov", "C1", SSNS),
        ("2026-02-07", "fbi.gov", "C1", SSNS[:1]),
        ("2026-03-09", "usdoj.gov", "C2", SSNS[1:]),
    ]
    for day, org, case, people in plan:
        ledger.append(
            DisclosureRecord(
                recorded_at=f"{day}T12:00:00.000+00:00",
                sender="alice@dhs.gov",
                recipients=(Recipient(f"agent@{org}", org, "Agency <b>&</b> Co"),),
                pii_counts={"US_SSN": len(people)},
                individuals=len(people),
                message_id=f"<{day}@dhs.gov>" if case == "C1" else '=HYPERLINK("x")',
                sha256="0" * 64,
                outcome="delivered",
                purpose="routine use G",
                case_id=case,
                individual_hashes=ledger.identities.hash_all(
                    "ssn:" + s.replace("-", "") for s in people
                ),
            )
        )
    ledger.close()
    return env


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["records", *args], env=env, input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_list_formats_and_filters(filled: dict[str, str]) -> None:
    """Text lines, one JSON object per line, CSV with a header (formula-like cells made
    inert); --case, --since and --recipient-org select the matching records."""
    code, out, _ = run(filled, "list")
    assert code == 0 and len(out.splitlines()) == 3 and "fbi.gov" in out.splitlines()[0]
    _, out, _ = run(filled, "list", "--json", "--case", "C1")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [1, 2]
    assert "individual_hashes" not in json.loads(out.splitlines()[0])
    _, out, _ = run(filled, "list", "--csv", "--since", "2026-02-01")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == ["2", "3"] and rows[1]["organizations"] == "usdoj.gov"
    assert rows[1]["message_id"] == '\'=HYPERLINK("x")'  # a spreadsheet shows it, never runs it
    _, out, _ = run(filled, "list", "--json", "--recipient-org", "usdoj.gov")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [3]
    code, _, err = run(filled, "list", "--json", "--csv")
    assert code == 2 and err.strip() == "piigate: error: --json and --csv: choose one"


def test_recipients_of_a_case(filled: dict[str, str]) -> None:
    """Every address that received case C1, with first/last date, messages, individuals."""
    code, out, _ = run(filled, "recipients", "--case", "C1", "--json")
    assert code == 0
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert (row["address"], row["messages"], row["individuals"]) == ("agent@fbi.gov", 2, 2)
    assert row["first"].startswith("2026-01-05") and row["last"].startswith("2026-02-07")


def test_accounting_reads_the_ssn_from_stdin_and_never_prints_it(filled: dict[str, str]) -> None:
    """`--ssn -` takes the SSN from stdin; the answer lists exactly that person's
    disclosures and does not echo the SSN."""
    code, out, err = run(filled, "accounting", "--ssn", "-", "--json", stdin=SSNS[1] + "\n")
    assert code == 0, err
    assert [json.loads(line)["id"] for line in out.splitlines()] == [1, 3]
    code, out, _ = run(filled, "accounting", "--ssn", SSNS[0])
    assert code == 0 and out.startswith("2 disclosures") and SSNS[0] not in out
    code, _, err = run(filled, "accounting", "--ssn", "12-3")
    assert code == 2 and err.strip() == "piigate: error: --ssn: expected NNN-NN-NNNN (nine digits)"
    code, _, err = run(filled, "accounting", "--name", "Jane Roe")
    assert code == 2 and "--name with --dob" in err


def test_show_text_and_printable_html(filled: dict[str, str]) -> None:
    """The form lists the record's fields; the HTML escapes what came from mail or config."""
    code, out, _ = run(filled, "show", "2")
    assert code == 0 and out.startswith("PRIVACY ACT DISCLOSURE RECORD")
    assert "routine use G" in out and "case: C1" in out and "1 US_SSN; 1 individuals" in out
    code, html, _ = run(filled, "show", "2", "--html")
    assert code == 0 and html.startswith("<!DOCTYPE html>")
    assert "Agency &lt;b&gt;&amp;&lt;/b&gt; Co" in html and "<b>&</b>" not in html
    code, _, err = run(filled, "show", "9")
    assert code == 2 and err.strip().endswith("no record 9")


def test_verify_exit_codes(filled: dict[str, str], tmp_path: Path) -> None:
    """Exit 0 when intact; exit 1 naming the first bad record after an edit behind the
    application's back."""
    code, out, _ = run(filled, "verify")
    assert (code, out.strip()) == (0, "ledger intact: 3 records verified")
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        conn.execute("UPDATE disclosures SET sender = 'mallory@dhs.gov' WHERE id = 2")
    code, _, err = run(filled, "verify")
    assert (code, err.strip()) == (1, "ledger broken at record 2: content altered")


def test_prune_refuses_records_within_retention(filled: dict[str, str]) -> None:
    """Prune inside the five years is refused in one line and deletes nothing."""
    code, _, err = run(filled, "prune", "--before", "2026-03-01")
    assert code == 2 and "refusing to prune: records are kept 5 years" in err
    assert len(run(filled, "list")[1].splitlines()) == 3
    code, out, _ = run(filled, "prune", "--before", "2001-01-01")
    assert (code, out.strip()) == (0, "pruned 0 records recorded before 2001-01-01")


def test_commands_on_a_bad_url_are_one_line_errors(env: dict[str, str]) -> None:
    """An unsupported ledger URL is one line on stderr, exit 2, no traceback."""
    code, _, err = run({**env, "PIIGATE_LEDGER__URL": "mysql://x/y"}, "list")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "unsupported scheme" in err


@pytest.fixture
def rng() -> random.Random:
    return random.Random(1)

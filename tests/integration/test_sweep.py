"""``piigate sweep`` on real archives written by the stdlib's ``mailbox`` (mbox, Maildir, a
folder of .eml and Outlook .msg files) holding the seed story (one sender, 31 messages to 30
agencies, 4,825 people across spreadsheets, 3 encrypted) mixed into ordinary mail: the
figures come out exactly, from several partitions over worker processes."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from piigate.cli import main
from piigate.config import Settings
from piigate.sweep import Engine, Filters, Sizes, sweep
from piigate.sweep.tally import Tally
from tests import synthetic
from tests.formats import outlook_msg
from tests.sweep_archive import (
    AGENT,
    Scenario,
    archive,
    write_eml_folder,
    write_maildir,
    write_mbox,
)

ORDINARY = 120


@pytest.fixture(scope="module")
def mixed() -> tuple[list[EmailMessage], Scenario]:
    return archive(ORDINARY)


def assert_scenario(tally: Tally, figures: Scenario) -> None:
    summary = tally.summary()
    assert summary["messages"] == figures.messages
    assert summary["external"] == figures.external
    assert summary["incidents"] == figures.incidents
    assert summary["rules"]["unencrypted-sensitive-pii"] == figures.unencrypted
    assert summary["individuals"] == figures.individuals
    assert summary["individuals_in_messages"] == figures.individuals_in_messages
    assert summary["by_organization"] == figures.incident_organizations
    assert summary["by_month"] == figures.months
    assert summary["problems"] == []


def test_an_mbox_in_byte_ranges_over_two_processes_gives_the_exact_figures(
    shipped_settings: Settings, mixed: tuple[list[EmailMessage], Scenario], tmp_path: Path
) -> None:
    """An mbox cut into many byte ranges and swept by two worker processes reports the
    scenario exactly, and writes summary.json, messages.csv and a self-contained report."""
    messages, figures = mixed
    mbox = write_mbox(tmp_path / "sent.mbox", messages)
    out = tmp_path / "out"
    tally = sweep(
        shipped_settings,
        [mbox],
        Filters(),
        Engine("local", workers=2),
        out=out,
        sizes=Sizes(mbox_bytes=16 * 1024),
    )
    assert tally.partitions > 10
    assert_scenario(tally, figures)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["incidents"] == figures.incidents
    assert summary["engine"] == "local"
    rows = list(csv.DictReader(io.StringIO((out / "messages.csv").read_text())))
    assert len(rows) == figures.external
    agent_rows = [r for r in rows if r["sender"] == AGENT]
    assert len(agent_rows) == figures.incidents
    assert all("US_SSN" in r["pii"] for r in agent_rows if "unencrypted" in r["rules"])
    html = (out / "report.html").read_text()
    assert html.count("<svg") == 3
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "agency00.gov" in html
    for text in (out / "messages.csv").read_text(), html, json.dumps(summary):
        assert not re.search(r"\b\d{3}-\d{2}-\d{4}\b", text)  # masked findings only


def test_a_maildir_and_a_folder_of_eml_files_give_the_same_figures(
    shipped_settings: Settings, mixed: tuple[list[EmailMessage], Scenario], tmp_path: Path
) -> None:
    """The same archive as a Maildir and as a folder of .eml files, in shards."""
    messages, figures = mixed
    for source in (
        write_maildir(tmp_path / "Maildir", messages),
        write_eml_folder(tmp_path / "eml", messages),
    ):
        tally = sweep(
            shipped_settings, [source], Filters(), Engine("local", 1), sizes=Sizes(files=40)
        )
        assert tally.partitions == -(-figures.messages // 40)
        assert_scenario(tally, figures)


def test_since_until_and_sender_leave_messages_out(
    shipped_settings: Settings, mixed: tuple[list[EmailMessage], Scenario], tmp_path: Path
) -> None:
    """--since/--until select by the message's own Date; --sender by its From."""
    messages, figures = mixed
    mbox = write_mbox(tmp_path / "sent.mbox", messages)
    from datetime import UTC, datetime

    filters = Filters(
        since=datetime(2013, 4, 1, tzinfo=UTC),
        until=datetime(2013, 5, 1, tzinfo=UTC),
        senders=frozenset({AGENT}),
    )
    tally = sweep(shipped_settings, [mbox], filters, Engine("local", 1))
    assert tally.summary()["by_month"] == {"2013-04": figures.months["2013-04"]}
    assert tally.skipped == figures.messages - figures.months["2013-04"]


def test_outlook_msg_files_and_unreadable_sources_are_reported(
    shipped_settings: Settings, tmp_path: Path
) -> None:
    """A .msg is read through extract-msg with its sender and recipients; a file that is no
    message, a missing path, a .pst without readpst and a broken .msg are each named with
    their reason, and the rest of the sweep goes on."""
    folder = tmp_path / "export"
    folder.mkdir()
    headers = (
        f"From: {AGENT}\r\nTo: liaison@agency07.gov\r\nSubject: list\r\n"
        "Date: Mon, 04 Mar 2013 09:00:00 +0000\r\nMessage-ID: <msg-1@cbp.dhs.gov>\r\n\r\n"
    )
    body = f"Subject SSN {synthetic.ssn(random.Random(18))}, born 04/12/1961."
    (folder / "one.msg").write_bytes(outlook_msg("list", body, {}, headers=headers))
    (folder / "broken.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    (folder / "picture.bin").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (folder / "mail.pst").write_bytes(b"!BDN" + bytes(512))
    missing = tmp_path / "nowhere.mbox"
    tally = sweep(shipped_settings, [folder, missing], Filters(), Engine("local", 1))
    reasons = {Path(p.source).name: p.reason for p in tally.problems}
    assert set(reasons) == {"broken.msg", "picture.bin", "mail.pst", "nowhere.mbox"}
    assert "Outlook" in reasons["broken.msg"]
    assert "cannot read" in reasons["nowhere.mbox"]
    [message] = tally.incidents
    assert (message.sender, message.recipients) == (AGENT, ("liaison@agency07.gov",))
    assert message.individuals == 1
    assert message.sent.startswith("2013-03-04")


def test_the_command_writes_the_report_and_says_what_it_found(
    tmp_path: Path, mixed: tuple[list[EmailMessage], Scenario]
) -> None:
    """`piigate sweep SOURCE --out DIR` prints the totals and writes the three files (and
    the state --resume reads)."""
    mbox = write_mbox(tmp_path / "sent.mbox", mixed[0][:60])
    out = tmp_path / "report"
    result = CliRunner().invoke(
        main,
        ["sweep", str(mbox), "--out", str(out), "--workers", "1"],
        env={"PIIGATE_LOG__FORMAT": "console"},
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"^60 messages, \d+ external, \d+ incidents", result.stdout, re.M)
    written = {p.name for p in out.iterdir()}
    assert written == {"summary.json", "messages.csv", "report.html", "sweep-state.jsonl"}


def test_scheduler_without_dask_is_a_usage_error() -> None:
    """--scheduler with the local engine is refused with one line, no traceback."""
    result = CliRunner().invoke(main, ["sweep", "x.mbox", "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2
    assert "--scheduler is for --engine dask" in result.output
    assert "Traceback" not in result.output


def test_a_scheduler_that_does_not_answer_is_one_line() -> None:
    """--engine dask with a scheduler address where nothing listens: exit 2, one line naming
    the address, no traceback."""
    result = CliRunner().invoke(
        main,
        ["sweep", "x.mbox", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"],
        env={"PIIGATE_LOG__FORMAT": "console"},
    )
    assert result.exit_code == 2, result.output
    assert "dask scheduler tcp://127.0.0.1:9: cannot connect" in result.stderr
    assert "Traceback" not in result.output

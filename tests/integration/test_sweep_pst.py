"""``piigate sweep`` on a real Outlook store: the offline .ost of tests/fixtures/pst (written
by Outlook, see SOURCES.md) read through Debian's readpst, as the sweep runs it. The store
holds 14 mail items and 169 calendar items; every mail item is read, dated and judged, in
partitions that resume, and reads as the same bytes in every sweep (so the ledger never
takes it twice)."""

from __future__ import annotations

import csv
import io
import json
import lzma
import shutil
from collections import Counter
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

import pytest

from piigate.config import Settings
from piigate.sweep import Engine, Filters, Sizes, pst, sweep
from piigate.sweep.resume import STATE_FILE
from piigate.sweep.run import UNPACKED
from piigate.sweep.sources import plan
from tests.sweep_archive import StopsAfter

FIXTURE = Path(__file__).parent.parent / "fixtures" / "pst" / "pstextractortest.ost.xz"
MAIL_BY_FOLDER = {"Inbox": 10, "Sent Items": 2, "Deleted Items": 1, "Sync Issues": 1}
"""The store's mail items, folder by folder (its calendar items are not mail)."""
SENT = {
    "Sent Items/1.eml": "2021-08-12T20:32:10+00:00",
    "Sent Items/2.eml": "2021-08-12T20:41:29+00:00",
}

pytestmark = pytest.mark.skipif(
    shutil.which("readpst") is None, reason="readpst (pst-utils) is not installed: make test"
)


@pytest.fixture(scope="module")
def ost(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("outlook") / "mailbox.ost"
    path.write_bytes(lzma.decompress(FIXTURE.read_bytes()))
    return path


def place_of(location: str) -> str:
    """``…/mailbox.ost:mailbox.ost/Inbox/3.eml`` → ``Inbox/3.eml`` (readpst names the top
    folder after the store's display name)."""
    return location.split(":", 1)[1].split("/", 1)[1]


def rows(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "messages.csv").read_text())))


def test_every_mail_item_of_a_real_outlook_store_is_read_dated_and_judged(
    shipped_settings: Settings, ost: Path, tmp_path: Path
) -> None:
    """The 14 mail items of the .ost, in four partitions over two processes, each read once,
    dated by its own Date and given the gate's verdict; the sent items carry their sender and
    recipient built by readpst from the MAPI properties; the unpacked copy is removed."""
    out = tmp_path / "out"
    tally = sweep(
        shipped_settings, [ost], Filters(), Engine("local", 2), out=out, sizes=Sizes(files=4)
    )
    assert (tally.partitions, tally.seen, tally.problems) == (4, 14, [])
    found = rows(out)
    assert len({r["location"] for r in found}) == tally.external + tally.internal == 14
    assert Counter(place_of(r["location"]).split("/")[0] for r in found) == MAIL_BY_FOLDER
    assert all(r["date"].startswith("2021-08-12T") for r in found)
    assert all(r["verdict"] == "deliver" and not r["rules"] for r in found)  # no PII in it
    sent = {place_of(r["location"]): r for r in found if "Sent Items" in r["location"]}
    assert {name: row["date"] for name, row in sent.items()} == SENT
    assert {row["recipients"] for row in sent.values()} == {"epfromer@gmail.com"}
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["messages"], summary["verdicts"]) == (14, {"deliver": 14})
    assert not (out / UNPACKED).exists()


def test_an_interrupted_sweep_of_a_store_resumes_where_it_stopped(
    shipped_settings: Settings, ost: Path, tmp_path: Path
) -> None:
    """Stopped after one of four partitions, the sweep resumes with --resume and runs only
    the other three (the partitions keep their names though readpst unpacks the store
    again), ending with each of the 14 messages once."""
    sizes, out = Sizes(files=4), tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        sweep(shipped_settings, [ost], Filters(), StopsAfter("local", 1, after=1),
              out=out, sizes=sizes)  # fmt: skip
    assert not (out / UNPACKED).exists()
    assert len((out / STATE_FILE).read_text().splitlines()) == 1
    tally = sweep(shipped_settings, [ost], Filters(), Engine("local", 1),
                  out=out, sizes=sizes, resume=True)  # fmt: skip
    assert (tally.resumed, tally.partitions, tally.seen) == (1, 4, 14)
    assert len(rows(out)) == len({r["location"] for r in rows(out)}) == 14


def test_each_message_of_a_store_reads_as_the_same_bytes_in_every_sweep(
    ost: Path, tmp_path: Path
) -> None:
    """Unpacked twice, every mail item reads as the same bytes once readpst's random
    boundaries, calendar file names and DTSTAMPs are fixed (so its content hash matches the
    ledger's record of an earlier sweep), and its MIME structure is intact."""
    first = pst.unpack(ost, tmp_path / "one")
    second = pst.unpack(ost, tmp_path / "two")
    assert len(first.messages) == len(second.messages) == 14
    for one, two in zip(first.messages, second.messages, strict=True):
        raw = pst.stable(Path(one).read_bytes())
        assert raw == pst.stable(Path(two).read_bytes())
        assert not BytesParser(policy=default).parsebytes(raw).defects, one
    sent = pst.stable(Path(first.root, "mailbox.ost", "Sent Items", "2.eml").read_bytes())
    parts = BytesParser(policy=default).parsebytes(sent)
    names = {part.get_filename() for part in parts.walk()}
    assert {"Clinometer Usage.pdf", "text.txt", "i0.ics"} <= names


def test_a_store_readpst_cannot_read_or_without_readpst_is_named_with_its_reason(
    ost: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file with the PST signature and nothing readable behind it is named with readpst's
    refusal; without readpst on the PATH a real store is named as needing it."""
    broken = tmp_path / "broken.pst"
    broken.write_bytes(b"!BDN" + bytes(4096))
    [problem] = plan([broken], tmp_path / "work").problems
    assert problem.source == str(broken)
    assert problem.reason.startswith("readpst could not read it (exit ")
    monkeypatch.setenv("PATH", str(tmp_path))
    planned = plan([ost], tmp_path / "work")
    assert planned.partitions == ()
    assert [p.reason for p in planned.problems] == ["Outlook .pst/.ost needs readpst (pst-utils)"]

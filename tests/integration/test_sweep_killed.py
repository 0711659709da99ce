"""A recording sweep whose client process is killed (SIGKILL: no handler runs, nothing is
flushed but what was fsync'ed) continues with --resume to the ledger and report of an
uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from piigate.config import HostPort, Settings
from piigate.record import ledger_for
from piigate.sweep import Engine, Filters, Sizes, sweep
from piigate.sweep.resume import STATE_FILE
from tests.conftest import settings_for
from tests.sweep_archive import archive, write_mbox

ROOT = Path(__file__).resolve().parents[2]
SIZES = Sizes(mbox_bytes=16 * 1024)
CLIENT = """
import sys
from pathlib import Path
from piigate.config import HostPort, load_settings
from piigate.record import ledger_for
from piigate.sweep import Engine, Filters, Sizes, sweep
from tests.conftest import settings_for, shipped_dir

tmp, mbox = Path(sys.argv[1]), Path(sys.argv[2])
base = load_settings(shipped_dir() / "config" / "piigate.yaml")
settings = settings_for(base, tmp, HostPort("127.0.0.1", 25))
ledger = ledger_for(settings)
sweep(settings, [mbox], Filters(), Engine("local", 1), ledger=ledger, out=tmp / "out",
      sizes=Sizes(mbox_bytes=16 * 1024))
"""


def kill_after_two_partitions(tmp_path: Path, mbox: Path) -> None:
    """Run the sweep in a process of its own; SIGKILL it once two partitions are done."""
    state = tmp_path / "out" / STATE_FILE
    client = subprocess.Popen(
        [sys.executable, "-c", CLIENT, str(tmp_path), str(mbox)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PIIGATE_LOG__FORMAT": "console"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while not (state.exists() and len(state.read_text().splitlines()) >= 2):
        assert client.poll() is None, "the sweep ended before it could be killed"
        assert time.monotonic() < deadline, "no partition finished in 300 s"
        time.sleep(0.2)
    client.send_signal(signal.SIGKILL)
    assert client.wait(timeout=30) == -signal.SIGKILL


def test_a_killed_client_resumes_to_the_same_ledger_and_report(
    shipped_settings: Settings, tmp_path: Path
) -> None:
    """The client killed after two of its partitions: the resumed sweep runs the rest, and
    the ledger holds each disclosure once (chain intact) and the report the full figures."""
    settings = settings_for(shipped_settings, tmp_path, HostPort("127.0.0.1", 25))
    messages, figures = archive(30)
    mbox = write_mbox(tmp_path / "sent.mbox", messages)
    kill_after_two_partitions(tmp_path, mbox)
    done = len((tmp_path / "out" / STATE_FILE).read_text().splitlines())
    ledger = ledger_for(settings)
    try:
        tally = sweep(settings, [mbox], Filters(), Engine("local", 1), ledger=ledger,
                      out=tmp_path / "out", sizes=SIZES, resume=True)  # fmt: skip
        summary = json.loads((tmp_path / "out" / "summary.json").read_text())
        assert summary["resumed_partitions"] == tally.resumed == done < tally.partitions
        assert (summary["messages"], summary["incidents"]) == (figures.messages, figures.incidents)
        assert summary["by_organization"] == figures.incident_organizations
        records = ledger.records()
        assert len(records) == figures.incidents
        assert max(Counter(r.message_id for r in records).values()) == 1
        assert ledger.verify().intact
    finally:
        ledger.close()

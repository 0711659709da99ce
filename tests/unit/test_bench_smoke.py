"""The benchmarks still run (``make bench``): each script, on its smallest input, exits 0 and
prints its table. Nothing here is timed; the figures are the README's, from a quiet run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize(
    ("script", "args", "row"),
    [
        (
            "bench_cli.py",
            ["--runs", "1", "--commands=--version"],
            "| `piigate --version` |",
        ),
        ("bench_cost.py", ["--sizes", "1"], "| 1 KB text |"),
        (
            "bench_relay.py",
            ["--mail", "clean", "--messages", "4", "--rounds", "1"],
            "| clean 4 KB |",
        ),
        (
            "bench_relay.py",
            [
                *("--mail", "mixed", "--small", "8", "--large-bytes", "100000"),
                *("--large-head-start", "0.2", "--mixed-gates", "piigate"),
            ],
            "| as shipped (large lane) |",
        ),
    ],
    ids=["cli", "cost", "relay", "mixed"],
)
def test_benchmark_runs_and_prints_its_table(script: str, args: list[str], row: str) -> None:
    """The script runs to the end on a tiny load and prints the row the README shows."""
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert row in done.stdout

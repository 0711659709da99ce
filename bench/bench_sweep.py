"""Archive sweep benchmark: messages per second of ``piigate sweep`` on a generated mbox
(the seed story's 31 messages mixed into ordinary mail, tests/sweep_archive.py), with the
local engine on 1 and 2 processes and with Dask (a LocalCluster on loopback) on 1 and 2
workers, in the same run.

    .venv/bin/python bench/bench_sweep.py [--messages 10000] [--workers 1,2]

Each figure is wall time from the call to the report, so it includes starting the workers
(each builds the gate's screener: rules, recognizers, the spaCy model); the printed ratios
are against the local engine on 1 process measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sweep_archive import archive, write_mbox

from piigate.config import load_settings, shipped_dir
from piigate.logs import configure_logging
from piigate.sweep import Engine, Filters, sweep


def measure(settings_path: Path, mbox: Path, engine: Engine) -> tuple[float, int]:
    settings = load_settings(settings_path)
    started = time.perf_counter()
    tally = sweep(settings, [mbox], Filters(), engine)
    return time.perf_counter() - started, tally.seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    args = parser.parse_args()
    settings_path = shipped_dir() / "config" / "piigate.yaml"
    configure_logging(load_settings(settings_path).log.model_copy(update={"level": "warning"}))
    messages, figures = archive(max(args.messages - 31, 0))
    results = []
    with tempfile.TemporaryDirectory() as folder:
        mbox = write_mbox(Path(folder) / "sent.mbox", messages)
        size = mbox.stat().st_size
        for name in ("local", "dask"):
            for workers in (int(n) for n in args.workers.split(",")):
                seconds, seen = measure(settings_path, mbox, Engine(name, workers))
                assert seen == figures.messages
                results.append((name, workers, seconds, seen / seconds))
    base = results[0][3]
    print(f"{figures.messages} messages, {size / 1e6:.1f} MB mbox")
    print("| engine | workers | seconds | messages/s | vs local, 1 process |")
    print("|---|---|---|---|---|")
    for name, workers, seconds, rate in results:
        print(f"| {name} | {workers} | {seconds:.1f} | {rate:.1f} | {rate / base:.2f} |")
    keys = ("engine", "workers", "seconds", "per_second")
    print(json.dumps([dict(zip(keys, r, strict=True)) for r in results]))


if __name__ == "__main__":
    main()

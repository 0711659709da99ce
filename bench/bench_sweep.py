"""Archive sweep benchmark: messages per second of ``piigate sweep`` on a generated mbox
(the seed story's 31 messages mixed into ordinary mail, tests/sweep_archive.py), with the
local engine on 1 and 2 processes and with Dask (a LocalCluster on loopback) on 1 and 2
workers, in the same run.

    .venv/bin/python bench/bench_sweep.py [--messages 10000] [--workers 1,2]

Each sweep's wall time includes starting the workers (each builds the gate's screener:
rules, recognizers, the spaCy model, the isolated readers' pool), measured alone by sweeping
a one-message mbox with the same engine; "after start-up" is the archive's messages over
the wall time less that start-up. Ratios are against the local engine on 1 process,
measured in the same run. The mbox is cut into 256 KB partitions.
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
from piigate.sweep import Engine, Filters, Sizes, sweep

PARTITION = Sizes(mbox_bytes=256 * 1024)
"""Small enough that a 10,000-message mbox (about 5 MB) makes some twenty partitions."""


def measure(settings_path: Path, mbox: Path, engine: Engine) -> tuple[float, int]:
    settings = load_settings(settings_path)
    started = time.perf_counter()
    tally = sweep(settings, [mbox], Filters(), engine, sizes=PARTITION)
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
        one = write_mbox(Path(folder) / "one.mbox", messages[:1])
        size = mbox.stat().st_size
        for name in ("local", "dask"):
            for workers in (int(n) for n in args.workers.split(",")):
                start_up, _ = measure(settings_path, one, Engine(name, workers))
                seconds, seen = measure(settings_path, mbox, Engine(name, workers))
                assert seen == figures.messages
                steady = seen / max(seconds - start_up, 1e-9)
                results.append((name, workers, seconds, seen / seconds, start_up, steady))
    base = results[0][5]
    print(f"{figures.messages} messages, {size / 1e6:.1f} MB mbox")
    print(
        "| engine | workers | wall s | messages/s (wall) | start-up s | messages/s after start-up"
        " | vs local, 1 process |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, workers, seconds, rate, start_up, steady in results:
        print(
            f"| {name} | {workers} | {seconds:.1f} | {rate:.1f} | {start_up:.1f} | {steady:.1f}"
            f" | {steady / base:.2f} |"
        )
    keys = ("engine", "workers", "seconds", "per_second", "start_up", "steady_per_second")
    print(json.dumps([dict(zip(keys, r, strict=True)) for r in results]))


if __name__ == "__main__":
    main()

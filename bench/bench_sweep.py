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

"Largest worker MB" is the peak private memory (resident, not shared with another process:
a forked worker's untouched copy of this process is not counted) of the largest process the
sweep started (a worker with its screener and isolated readers; Dask's nanny and worker),
sampled every 20 ms: for the one-message mbox and for the whole archive. Memory per worker
is bounded by the extraction limits, not by the archive's size, when the two are about the
same.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sweep_archive import archive, write_mbox

from piigate.config import load_settings, shipped_dir
from piigate.logs import configure_logging
from piigate.sweep import Engine, Filters, Sizes, sweep

PARTITION = Sizes(mbox_bytes=256 * 1024)
"""Small enough that a 10,000-message mbox (about 5 MB) makes some twenty partitions."""


class LargestWorker(threading.Thread):
    """The peak private memory of the largest descendant process, sampled every 20 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max([self.peak, *self.descendants_mb()])

    def stop(self) -> float:
        self.done.set()
        self.join()
        return self.peak

    @staticmethod
    def descendants_mb() -> list[float]:
        sizes, pending = [], _children(str(os.getpid()))
        while pending:
            pid = pending.pop()
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
                private = (line.split() for line in rollup if line.startswith("Private_"))
                sizes.append(sum(int(fields[1]) for fields in private) / 1024)
                pending.extend(_children(pid))
            except (FileNotFoundError, ProcessLookupError):
                continue  # exited meanwhile
        return sizes


def _children(pid: str) -> list[str]:
    found: list[str] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += (task / "children").read_text().split()
    return found


def measure(settings_path: Path, mbox: Path, engine: Engine) -> tuple[float, int, float]:
    settings = load_settings(settings_path)
    sampler = LargestWorker()
    sampler.start()
    started = time.perf_counter()
    tally = sweep(settings, [mbox], Filters(), engine, sizes=PARTITION)
    return time.perf_counter() - started, tally.seen, sampler.stop()


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
                start_up, _, one_mb = measure(settings_path, one, Engine(name, workers))
                seconds, seen, all_mb = measure(settings_path, mbox, Engine(name, workers))
                assert seen == figures.messages
                steady = seen / max(seconds - start_up, 1e-9)
                results.append(
                    (name, workers, seconds, seen / seconds, start_up, steady, one_mb, all_mb)
                )
    base = results[0][5]
    print(f"{figures.messages} messages, {size / 1e6:.1f} MB mbox")
    print(
        "| engine | workers | wall s | messages/s (wall) | start-up s | messages/s after start-up"
        " | vs local, 1 process | largest worker MB, 1 message / archive |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, workers, seconds, rate, start_up, steady, one_mb, all_mb in results:
        print(
            f"| {name} | {workers} | {seconds:.1f} | {rate:.1f} | {start_up:.1f} | {steady:.1f}"
            f" | {steady / base:.2f} | {one_mb:.0f} / {all_mb:.0f} |"
        )
    keys = (
        "engine",
        "workers",
        "seconds",
        "per_second",
        "start_up",
        "steady_per_second",
        "largest_worker_mb_one",
        "largest_worker_mb_archive",
    )
    print(json.dumps([dict(zip(keys, r, strict=True)) for r in results]))


if __name__ == "__main__":
    main()

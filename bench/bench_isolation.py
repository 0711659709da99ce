"""Isolation benchmark: what reading files in the worker pool costs per message.

    .venv/bin/python bench/bench_isolation.py [--rounds 300] [--no-large]

Three ~3 KB messages (business prose; then the same with a one-page PDF attachment; then with
a zip holding a CSV: two reads in the pool, the zip and the CSV in it) are each screened with
isolation on (the shipped settings: 2 forkserver workers) and off (every reader in the
gate's process), alternating on/off in the same process, ``--rounds`` times each: the
median of parse + extract, and of the whole ``Screener.screen`` (parse, extract, detect,
decide, shipped rules and model). Then two large inputs of the extraction benchmark (parse +
extract, median of three alternations). Then what the pool costs once: start-up of 2 workers by
2 workers (in a fresh process), a call's round trip, and replacing a worker that crashed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import formats, pool_faults
from tests.detection.generate import Values, business_mail

from piigate.config import Settings, load_settings, shipped_dir
from piigate.errors import WorkerCrashed
from piigate.extract import extract
from piigate.isolation import WorkerPool
from piigate.model import Envelope
from piigate.parse import parse_message
from piigate.pipeline import Screener, build_screener

ENVELOPE = Envelope("alice@dhs.gov", ("bob@fbi.gov",))


def messages() -> dict[str, bytes]:
    """Three messages of about 3 KB: prose only, prose with a PDF, prose with a zip."""
    values = Values(random.Random(7))
    body = ""
    while len(body) < 2600:
        text, truth = business_mail(values)
        body += text + "\n\n" if not truth else ""
    csv = "\n".join(f"Item {i},{i * 7},ok" for i in range(20)).encode()
    pdf = formats.pdf(["Agenda: budget review, staffing, travel."])
    archive = formats.zip_of({"items.csv": csv})
    return {
        "text only": formats.email_with(body).as_bytes(),
        "+ 1-page PDF": _with(body[:1200], ("agenda.pdf", pdf, "application/pdf")),
        "+ zip of a CSV": _with(body[:2400], ("items.zip", archive, "application/zip")),
    }


def large_messages() -> dict[str, bytes]:
    """Two of the extraction benchmark's inputs: what crossing the process boundary costs when
    a file holds a lot (the rows read come back from the worker as data)."""
    import bench_extract

    return {
        "5 MB XLSX": bench_extract.xlsx_message(1.0),
        "20 MB ZIP of CSVs": bench_extract.zip_message(1.0),
    }


def _with(body: str, attachment: tuple[str, bytes, str]) -> bytes:
    return formats.email_with(body, [attachment]).as_bytes()


def median_ms(work: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def per_message(settings: Settings, rounds: int, large: bool) -> None:
    isolated = build_screener(settings)
    isolated.start_workers()
    plain = copy.copy(isolated)
    plain.isolation = None
    print(
        "| message | KB | extract off ms | extract on ms | ratio | screen off ms "
        "| screen on ms | ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, raw in messages().items():
        row = [name, f"{len(raw) / 1024:.1f}"]
        for stage in (_extract_only, _screen):
            off, on = _off_and_on(stage, plain, isolated, raw, rounds)
            row += [f"{off:.2f}", f"{on:.2f}", f"{on / off:.2f}"]
        print("| " + " | ".join(row) + " |")
    if large:
        print("\n| large message | MB | extract off s | extract on s | ratio |")
        print("|---|---:|---:|---:|---:|")
        for name, raw in large_messages().items():
            off, on = _off_and_on(_extract_only, plain, isolated, raw, 3)
            print(
                f"| {name} | {len(raw) / 1e6:.1f} | {off / 1000:.2f} | {on / 1000:.2f} "
                f"| {on / off:.2f} |"
            )
    isolated.close()


def _off_and_on(
    stage: Callable[[Screener, bytes], object],
    plain: Screener,
    isolated: Screener,
    raw: bytes,
    rounds: int,
) -> tuple[float, float]:
    """Median ms with isolation off and on, alternating in thirds so that load on the machine
    hits both alike."""
    off, on = [], []
    for _ in range(3):
        off.append(median_ms(functools.partial(stage, plain, raw), max(rounds // 3, 1)))
        on.append(median_ms(functools.partial(stage, isolated, raw), max(rounds // 3, 1)))
    return statistics.median(off), statistics.median(on)


def _extract_only(screener: Screener, raw: bytes) -> object:
    message = parse_message(raw, screener.extraction)
    return extract(message, settings=screener.extraction, isolation=screener.isolation)


def _screen(screener: Screener, raw: bytes) -> object:
    return screener.screen(ENVELOPE, raw)


def startup() -> None:
    """In a fresh process: seconds to start 2 workers ready to read, the median round trip of
    a call that does nothing, then the time to replace a worker that crashed."""
    pool = WorkerPool(2, 1024 * 2**20, 15.0, ("piigate.extract.registry",))
    started = time.perf_counter()
    pool.start()
    pool.run(pool_faults.double, 1)
    ready = time.perf_counter() - started
    call_us = median_ms(functools.partial(pool.run, pool_faults.double, 1), 300) * 1000
    started = time.perf_counter()
    with contextlib.suppress(WorkerCrashed):
        pool.run(pool_faults.abort_now)  # returns once its replacement is ready
    pool.run(pool_faults.double, 1)
    pool.run(pool_faults.double, 1)
    print(f"{ready:.2f} {call_us:.0f} {(time.perf_counter() - started) * 1000:.0f}")
    pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--no-large", action="store_true", help="skip the 5 and 20 MB inputs")
    parser.add_argument("--startup", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.startup:
        startup()
        return
    settings = load_settings(shipped_dir() / "config" / "piigate.yaml")
    per_message(settings, args.rounds, not args.no_large)
    out = (
        subprocess.run(
            [sys.executable, __file__, "--startup"], check=True, capture_output=True, text=True
        )
        .stdout.splitlines()[-1]
        .split()
    )
    print("\n| 2 workers ready s | empty call µs | replace a crashed worker ms |")
    print("|---:|---:|---:|")
    print(f"| {out[0]} | {out[1]} | {out[2]} |")


if __name__ == "__main__":
    main()

"""What one message costs the gate by its size: time and peak memory of screening it.

    .venv/bin/python bench/bench_cost.py                 # the README table
    .venv/bin/python bench/bench_cost.py --sizes 1 10    # some of the rows
    .venv/bin/python bench/bench_cost.py --baseline /tmp/main/src   # and main, same run

Messages: business prose in the body (1, 10, 100 and 1,000 KB), and a short body with a CSV
attachment (an inventory with no PII: 1, 5 and 20 MB). Each size is screened (parse, extract,
detect, decide: ``Screener.screen``, as the gate runs it in its worker thread) in a fresh
process that first screens a small message: time is the best of three runs; memory is how
far the gate process's peak resident set (VmHWM, reset before the runs) grew over its size
then. The readers of files run in the isolated worker processes, as in the gate: the last
column adds theirs (the peak of the summed resident sets of the gate and its workers,
sampled every 10 ms, over that sum after the small message).
The baseline is the 1 KB message measured in the same run: the ratios show whether cost
grows in step with size (linear: the ratio of sizes).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_extract import TreeSampler
from bench_relay import clean_mail, csv_mail

KB = 1000
SIZES = {
    "1 KB text": ("text", 1 * KB),
    "10 KB text": ("text", 10 * KB),
    "100 KB text": ("text", 100 * KB),
    "1,000 KB text": ("text", 1000 * KB),
    "1 MB CSV attachment": ("csv", 1000 * KB),
    "5 MB CSV attachment": ("csv", 5000 * KB),
    "20 MB CSV attachment": ("csv", 20000 * KB),
}
WORDS = ("budget", "review", "Tuesday", "draft", "report", "team", "meeting", "schedule")


def text_mail(size: int) -> bytes:
    rng = random.Random(size)
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "alice@dhs.gov", "bob@fbi.gov", "Notes"
    words, total = [], 0
    while total < size:
        words.append(rng.choice(WORDS))
        total += len(words[-1]) + 1
    body = " ".join(words)
    msg.set_content("\n".join(body[i : i + 72] for i in range(0, len(body), 72)))
    return msg.as_bytes()


def build(kind: str, size: int) -> bytes:
    return text_mail(size) if kind == "text" else csv_mail(random.Random(size), size)


def measure(kind: str, size: int) -> dict[str, float]:
    """In this (fresh) process: best-of-3 seconds and peak-RSS growth in MB."""
    from piigate.config import load_settings
    from piigate.model import Envelope
    from piigate.pipeline import build_screener

    screener = build_screener(load_settings(None))
    envelope = Envelope("alice@dhs.gov", ("bob@fbi.gov",))
    screener.start_workers()  # their start is not the message's cost
    screener.screen(envelope, clean_mail(random.Random(1)))
    raw = build(kind, size)
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from now
    before = _status_mb("VmRSS")
    sampler = TreeSampler()
    tree_before = sampler.tree_mb()
    sampler.start()
    times = []
    try:
        for _ in range(3):
            started = time.perf_counter()
            screener.screen(envelope, raw)
            times.append(time.perf_counter() - started)
    finally:
        tree = sampler.stop() - tree_before
        screener.close()
    return {
        "seconds": min(times),
        "mb": _status_mb("VmHWM") - before,
        "tree_mb": tree,
        "bytes": len(raw),
    }


def _status_mb(field: str) -> float:
    """A size from /proc/self/status: VmRSS now, VmHWM the peak since ``clear_refs``."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="*", help="row name prefixes, e.g. 1 10 '20 MB'")
    parser.add_argument("--baseline", help="another checkout's src, measured in the same run")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], int(args.child[1]))))
        return
    rows = {
        name: spec
        for name, spec in SIZES.items()
        if not args.sizes or any(name.startswith(f"{p} ") for p in args.sizes)
    }
    head = "| message | bytes | ms | ms / baseline | peak MB over a small message "
    head += "| with the workers, MB |"
    if args.baseline:
        head += " main ms | main MB with the workers |"
    print(head)
    print("|---|---|---|---|---|---|" + ("---|---|" if args.baseline else ""))
    base = None
    for name, (kind, size) in rows.items():
        result = _child(kind, size, None)
        base = base or result["seconds"]
        line = (
            f"| {name} | {result['bytes']:,} | {result['seconds'] * 1000:.1f} "
            f"| {result['seconds'] / base:.1f} | {result['mb']:.0f} | {result['tree_mb']:.0f} |"
        )
        if args.baseline:
            main_result = _child(kind, size, args.baseline)
            line += f" {main_result['seconds'] * 1000:.1f} | {main_result['tree_mb']:.0f} |"
        print(line, flush=True)


def _child(kind: str, size: int, src: str | None) -> dict[str, float]:
    """One row measured in a fresh process (with ``src`` first on the path, if given)."""
    env = dict(os.environ, PYTHONPATH=src) if src else None
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(size)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    main()

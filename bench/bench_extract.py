"""Extraction benchmark: time and peak memory of parse + extract for the attachments people send.

    .venv/bin/python bench/bench_extract.py            # the README table
    .venv/bin/python bench/bench_extract.py --half     # the same inputs at half size (linearity)
    .venv/bin/python bench/bench_extract.py --gate --only ZIP --baseline /tmp/base/src
    .venv/bin/python bench/bench_extract.py --gate --only ZIP --scale 0.25 --scan-timeout 900

Each input is built first (by the libraries that write the format, as in the tests), then
parsed and extracted in a fresh process: time is the best of three runs; memory is how far
the process's peak resident set grew over its size before the first run (native allocations
of calamine and PDFium included).

``--gate``: the whole screening as the gate runs it, default settings (parse, extract with the
readers in the isolated worker processes, detect, decide: ``Screener.screen``), once, after a
small message; "stopped" when it ran past ``scan.timeout`` (the gate holds the message as
unscannable), "done" otherwise; memory is the peak of the summed resident sets of the gate
process and every worker (sampled every 10 ms) over their sum after a small message.
``--baseline SRC`` measures the same inputs with another checkout's ``src`` (e.g. main) in
the same run, and prints the ratio. ``--scan-timeout SECONDS`` gives both gates that long
(``scan.timeout``, and ``isolation.file_seconds`` as long) so a big input is read and
detected to the end ("done") instead of stopping at the default 30 s; ``--scale`` sizes the
inputs (0.25: the zip's 1.3 million rows become 330,000).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import embedded_formats, formats, office_formats
from tests.synthetic import ssn

from piigate.config import ExtractionSettings
from piigate.extract import extract
from piigate.parse import parse_message

MB = 1_000_000


def _rows(rng: random.Random, count: int) -> list[tuple[object, ...]]:
    return [
        (f"Person {i}", ssn(rng), f"{rng.randint(1, 9999)} Main St", rng.randint(0, 10**6))
        for i in range(count)
    ]


def xlsx_message(scale: float) -> bytes:
    rows = _rows(random.Random(1), int(150_000 * scale))
    data = formats.xlsx({"People": [("Name", "SSN", "Address", "Amount"), *rows]})
    return _message([("people.xlsx", data)])


def pdf_message(scale: float) -> bytes:
    rng = random.Random(2)
    pages = [
        "\n".join(f"{ssn(rng)} Person {rng.random():.12f}" for _ in range(45))
        for _ in range(int(3000 * scale))
    ]
    return _message([("report.pdf", formats.pdf(pages))])


def zip_message(scale: float) -> bytes:
    rng = random.Random(3)
    members = {}
    for number in range(int(20 * scale)):
        lines = [",".join(str(v) for v in row) for row in _rows(rng, 66_000)]
        members[f"part{number}.csv"] = "\n".join(lines).encode()
    return _message([("lists.zip", formats.zip_of(members))])


def mime_message(scale: float) -> bytes:
    rng = random.Random(4)
    parts = []
    for number in range(int(50 * scale)):
        text = "\n".join(f"Person {i}, {ssn(rng)}" for i in range(1000))
        parts.append((f"list{number}.csv", text.encode()))
    return _message(parts)


def _embedded_objects(scale: float) -> list[tuple[str, bytes]]:
    """Ten workbooks and ten packaged CSV files (Ole10Native), 2,000 rows each."""
    rng = random.Random(5)
    objects = []
    for number in range(int(10 * scale)):
        rows = _rows(rng, 2000)
        book = formats.xlsx({"People": [("Name", "SSN", "Address", "Amount"), *rows]})
        objects.append((f"Microsoft_Excel_Worksheet{number}.xlsx", book))
        text = "\n".join(",".join(str(v) for v in row) for row in _rows(rng, 2000)).encode()
        objects.append((f"oleObject{number}.bin", office_formats.ole_package("list.csv", text)))
    return objects


def embedded_message(scale: float) -> bytes:
    objects = _embedded_objects(scale)
    return _message([("memo.docx", office_formats.word_with_embeddings("See below.", objects))])


def attached_objects_message(scale: float) -> bytes:
    """The baseline for the embedded objects: the same twenty files attached to the message."""
    return _message(_embedded_objects(scale))


FORM_FIELDS = (
    *("name", "ssn", "dob", "street", "city"),
    *("phone", "email", "employer", "case", "notes"),
)


def pdf_form_message(scale: float) -> bytes:
    """A 200-page form, ten filled text fields a page (2,000 values), as pypdf fills it."""
    rng = random.Random(5)
    values = {field: f"{field} {ssn(rng)}" for field in FORM_FIELDS}
    return _message([("form.pdf", embedded_formats.pdf_form(values, int(200 * scale)))])


def pdf_pages_message(scale: float) -> bytes:
    """The baseline for the form: 200 pages of one line of text each, no form."""
    pages = [f"Application form, page {n + 1}" for n in range(int(200 * scale))]
    return _message([("pages.pdf", formats.pdf(pages))])


def _message(attachments: list[tuple[str, bytes]]) -> bytes:
    return formats.email_with(
        "See attached.", [(name, data, "application/octet-stream") for name, data in attachments]
    ).as_bytes()


CASES: dict[str, Callable[[float], bytes]] = {
    "5 MB XLSX (one sheet)": xlsx_message,
    "5 MB PDF (text pages)": pdf_message,
    "20 MB ZIP of CSVs": zip_message,
    "50-part MIME message": mime_message,
    "Word document, 20 embedded objects": embedded_message,
    "the same 20 objects attached (baseline)": attached_objects_message,
    "200-page PDF, no form (baseline for the form)": pdf_pages_message,
    "200-page filled PDF form (2,000 fields)": pdf_form_message,
}


def measure(path: Path) -> None:
    """In a fresh process: time (best of three) and the growth of the resident set over the
    process's size before the first run (native allocations included: calamine, PDFium)."""
    raw = path.read_bytes()
    settings = ExtractionSettings()
    before = _status_mb("VmRSS")
    best = float("inf")
    for _ in range(3):
        extraction = None  # one run's result alive at a time
        started = time.perf_counter()
        extraction = extract(parse_message(raw, settings), settings=settings)
        best = min(best, time.perf_counter() - started)
        assert not extraction.unscannable, extraction.unscannable
    print(f"{best:.2f} {_status_mb('VmHWM') - before:.0f}")


def measure_gate(path: Path) -> None:
    """In a fresh process: one screening as the gate does it, readers in the worker pool;
    seconds, and the peak-RSS growth of this process plus every worker's over a small
    message."""
    from piigate.config import load_settings
    from piigate.model import Envelope
    from piigate.pipeline import build_screener

    screener = build_screener(load_settings(None))
    envelope = Envelope("alice@dhs.gov", ("bob@fbi.gov",))
    screener.start_workers()
    screener.screen(envelope, _message([("small.csv", b"Name,SSN\nPerson,none\n")]))
    raw = path.read_bytes()
    sampler = TreeSampler()
    before, own_before = sampler.tree_mb(), _status_mb("VmRSS")
    sampler.start()
    started = time.perf_counter()
    screening = screener.screen(envelope, raw)
    seconds = time.perf_counter() - started
    growth = sampler.stop() - before
    own = sampler.own_peak - own_before
    screener.close()
    stopped = "stopped" if screening.extraction.unscannable else "done"
    people = screening.detection.individual_count
    print(f"{seconds:.2f} {growth:.0f} {stopped}, {people:,} people, gate alone {own:.0f} MB")


class TreeSampler(threading.Thread):
    """The peak of the summed resident sets of this process and its descendants (the
    isolated workers, replaced ones included), sampled every 10 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self.own_peak = 0.0
        """This process alone (without its workers)."""
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.01):
            self.peak = max(self.peak, self.tree_mb())
            self.own_peak = max(self.own_peak, _status_mb("VmRSS"))

    def stop(self) -> float:
        self.done.set()
        self.join()
        return max(self.peak, self.tree_mb())

    def tree_mb(self) -> float:
        total, pending = 0.0, [str(os.getpid())]
        while pending:
            pid = pending.pop()
            try:
                total += _status_mb("VmRSS", pid)
                for task in Path(f"/proc/{pid}/task").iterdir():
                    pending.extend((task / "children").read_text().split())
            except (FileNotFoundError, ProcessLookupError, LookupError):
                continue  # a worker that exited meanwhile
        return total


def _status_mb(field: str, pid: str = "self") -> float:
    """A size from /proc/PID/status (VmRSS now, VmHWM the peak; both reset by exec, unlike
    getrusage's ru_maxrss, which would carry over the parent's peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def _run(path: Path, gate: bool, src: str | None, timeout: float | None) -> tuple[str, str]:
    env = dict(os.environ, PYTHONPATH=src) if src else dict(os.environ)
    if timeout is not None:
        env |= {
            "PIIGATE_SCAN__TIMEOUT": str(timeout),
            "PIIGATE_ISOLATION__FILE_SECONDS": str(timeout),
        }
    mode = "--measure-gate" if gate else "--measure"
    result = subprocess.run(
        [sys.executable, __file__, mode, str(path)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    if result.returncode:
        raise SystemExit(f"measuring {path} failed:\n{result.stderr[-2000:]}")
    seconds, growth, *outcome = result.stdout.strip().splitlines()[-1].split()
    return f"{seconds} {' '.join(outcome)}".strip(), growth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--half", action="store_true", help="inputs at half size")
    parser.add_argument("--scale", type=float, help="inputs at this fraction of their size")
    parser.add_argument(
        "--scan-timeout", type=float, help="scan.timeout (and file_seconds) for --gate, seconds"
    )
    parser.add_argument("--only", default="", help="only the inputs whose name contains this")
    parser.add_argument("--gate", action="store_true", help="the whole screening, as the gate")
    parser.add_argument("--baseline", help="another checkout's src, measured in the same run")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure-gate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    if args.measure_gate:
        measure_gate(args.measure_gate)
        return
    scale = args.scale or (0.5 if args.half else 1.0)
    what = "screen" if args.gate else "parse+extract"
    head = f"| input | attachment MB | message MB | {what} s | peak RSS growth MB |"
    if args.baseline:
        head += " baseline s | baseline MB | MB / baseline |"
    print(head)
    print("|---|---:|---:|---:|---:|" + ("---:|---:|---:|" if args.baseline else ""))
    with tempfile.TemporaryDirectory() as folder:
        for name, build in CASES.items():
            if args.only not in name:
                continue
            raw = build(scale)
            path = Path(folder) / "message.eml"
            path.write_bytes(raw)
            attachment = sum(len(p.payload) for p in parse_message(raw).parts[1:]) / MB
            seconds, growth = _run(path, args.gate, None, args.scan_timeout)
            row = f"| {name} | {attachment:.1f} | {len(raw) / MB:.1f} | {seconds} | {growth} |"
            if args.baseline:
                base_seconds, base_growth = _run(path, args.gate, args.baseline, args.scan_timeout)
                ratio = float(growth) / max(float(base_growth), 1.0)
                row += f" {base_seconds} | {base_growth} | {ratio:.2f} |"
            print(row, flush=True)


if __name__ == "__main__":
    main()

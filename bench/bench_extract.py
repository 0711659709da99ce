"""Extraction benchmark: time and peak memory of parse + extract for the attachments people send.

    .venv/bin/python bench/bench_extract.py            # the README table
    .venv/bin/python bench/bench_extract.py --half     # the same inputs at half size (linearity)

Each input is built first (by the libraries that write the format, as in the tests), then
parsed and extracted in a fresh process: time is the best of three runs; memory is how far
the process's peak resident set grew over its size before the first run (native allocations
of calamine and PDFium included).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
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


def _status_mb(field: str) -> float:
    """A size from /proc/self/status (VmRSS now, VmHWM the peak; both reset by exec, unlike
    getrusage's ru_maxrss, which would carry over the parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--half", action="store_true", help="inputs at half size")
    parser.add_argument("--only", default="", help="only the inputs whose name contains this")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    scale = 0.5 if args.half else 1.0
    print("| input | attachment MB | message MB | parse+extract s | peak RSS growth MB |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for name, build in CASES.items():
            if args.only not in name:
                continue
            raw = build(scale)
            path = Path(folder) / "message.eml"
            path.write_bytes(raw)
            attachment = sum(len(p.payload) for p in parse_message(raw).parts[1:]) / MB
            result = subprocess.run(
                [sys.executable, __file__, "--measure", str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            seconds, growth = result.stdout.split()
            print(f"| {name} | {attachment:.1f} | {len(raw) / MB:.1f} | {seconds} | {growth} |")


if __name__ == "__main__":
    main()

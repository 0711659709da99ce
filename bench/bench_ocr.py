"""OCR cost benchmark: scanned PDFs, a screenshot, memory, and mail without images.

    .venv/bin/python bench/bench_ocr.py [--pages 20] [--screenshots 5] [--business 200]

Everything goes through ``Screener.screen`` (parse, extract with OCR, detect, decide) with the
shipped config (2 OCR worker processes). Measured, in one run:

- a 20-page image-only PDF (seeded forms at 200 dpi): pages per second for one message (its
  pages are read one after another), and for two such messages screened at once (both
  workers busy: the 2-core figure);
- time to a verdict for one screenshot of a spreadsheet (median, each a different image so
  none is remembered);
- peak memory: the gate process, and the largest OCR worker;
- business mail without images (~3 KB): messages per second with the OCR reader and without
  it (``Screener(images=None)``, as before OCR), interleaved, and their ratio.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def scanned_pdf(seed: int, pages: int) -> bytes:
    from tests.detection.generate import Values
    from tests.ocr.corpus import form_lines, multipage, render_lines

    v = Values(random.Random(seed))
    return multipage([render_lines(form_lines(v, 3)[0], 200) for _ in range(pages)], "PDF")


def screenshot(seed: int) -> bytes:
    from tests.detection.generate import Values
    from tests.ocr.corpus import encoded, render_sheet

    image, _ = render_sheet(Values(random.Random(seed)), 6, 110)
    return encoded(image.convert("RGB"), "PNG")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--screenshots", type=int, default=5)
    parser.add_argument("--business", type=int, default=200)
    args = parser.parse_args()

    from bench.bench_detect import business_corpus
    from tests.detection.generate import Values
    from tests.synthetic import message

    from piigate.config import load_settings, shipped_dir
    from piigate.model import Envelope
    from piigate.pipeline import Screener, build_screener

    screener = build_screener(load_settings(shipped_dir() / "config" / "piigate.yaml"))
    plain = Screener(screener.detector, screener.policy, screener.extraction, screener.scan_timeout)
    envelope = Envelope("alice@dhs.gov", ("bob@fbi.gov",))

    def mail(name: str, data: bytes, kind: str) -> bytes:
        return message(body="Attached.\n", attachments=((name, data, kind),))

    screener.screen(envelope, mail("warm.png", screenshot(999), "image/png"))  # start workers
    pdfs = [mail("scan.pdf", scanned_pdf(seed, args.pages), "application/pdf") for seed in (1, 2)]
    started = time.perf_counter()
    one = screener.screen(envelope, pdfs[0])
    single = time.perf_counter() - started
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as threads:
        list(threads.map(lambda raw: screener.screen(envelope, raw), pdfs))
    double = time.perf_counter() - started
    print(f"20-page scanned PDF, one message: {args.pages / single:.2f} pages/s ({single:.1f} s)")
    print(f"two such messages at once (2 cores): {2 * args.pages / double:.2f} pages/s")
    print(f"  verdict {one.verdict.action.value}, {len(one.detection.findings)} findings")

    shots = []
    for seed in range(args.screenshots):
        raw = mail("Screenshot.png", screenshot(100 + seed), "image/png")
        started = time.perf_counter()
        screener.screen(envelope, raw)
        shots.append(time.perf_counter() - started)
    print(f"one screenshot to a verdict: median {statistics.median(shots) * 1000:.0f} ms")

    corpus = business_corpus(Values(random.Random(4)), args.business)
    timings = {"with OCR reader": 0.0, "without (before OCR)": 0.0}
    for raw in corpus:
        for name, which in (("with OCR reader", screener), ("without (before OCR)", plain)):
            started = time.perf_counter()
            which.screen(envelope, raw)
            timings[name] += time.perf_counter() - started
    for name, seconds in timings.items():
        print(f"business mail {name}: {len(corpus) / seconds:.1f} msg/s")
    ratio = timings["without (before OCR)"] / timings["with OCR reader"]
    print(f"business mail throughput, with / without: {ratio:.3f}")

    assert screener.images is not None
    screener.images.pool.close()  # reaped, so the workers count as children
    gate = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: gate process {gate:.0f} MiB, largest OCR worker {workers:.0f} MiB")


if __name__ == "__main__":
    main()

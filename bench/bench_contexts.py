"""What a held message's finding contexts cost the gate, against screening the same text.

    .venv/bin/python bench/bench_contexts.py [--lines 400] [--repeat 3]

An attachment's text of ``--lines`` lines, an SSN and a date on each, screened by the
detector of ``config/piigate.yaml`` (spaCy model included); then ``FindingContexts.of`` over
its findings (what the gate adds when it holds the message). Medians; the baseline, measured
in the same run, is the screening itself.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from tests.synthetic import ssn

    from piigate.config import load_settings
    from piigate.detect import Detector
    from piigate.detect.context import FindingContexts
    from piigate.model import Segment

    detector = Detector(load_settings(ROOT / "config" / "piigate.yaml").detection)
    contexts = FindingContexts(detector)
    rng = random.Random(3)
    text = "\n".join(
        f"Employee {i} record: SSN {ssn(rng)}, born 03/14/19{50 + i % 40}, office Denver."
        for i in range(args.lines)
    )
    segments = [Segment("attachment notes.txt", text)]
    detect_ms, context_ms = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        findings = detector.detect(segments).findings
        detect_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        contexts.of(segments, findings)
        context_ms.append((time.perf_counter() - started) * 1000)
    screening, made = statistics.median(detect_ms), statistics.median(context_ms)
    print(f"{args.lines} lines, {len(findings)} findings; medians of {args.repeat}, milliseconds")
    print("| step | ms | ratio |\n|---|---:|---:|")
    print(f"| baseline: screening the text | {screening:.0f} | 1.00 |")
    print(f"| finding contexts (at hold) | {made:.0f} | {made / screening:.2f} |")


if __name__ == "__main__":
    main()

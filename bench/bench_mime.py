"""Cost of screening every header and name (issue 14, ``mime``): bench_detect's business mail
screened end to end by this tree and by a baseline commit, alternating, in one run.

    .venv/bin/python bench/bench_mime.py [--baseline 272b5a7] [--business 300] [--rounds 3]

The baseline's ``src`` is exported with ``git archive`` into a temporary folder and put first
on the child's PYTHONPATH; each measurement is ``bench_detect.py --child piigate`` in its own
process (shipped config, NER model loaded, ``Screener.screen``). Two corpora: bench_detect's
business mail (~3.4 KB, the few headers ``tests.synthetic.message`` writes), and the same with
the fifteen headers an Outlook/Exchange message carries (Date, Thread-Index, X-MS-* …).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUTLOOK_HEADERS = (
    b"Date: Tue, 1 Dec 2026 11:13:16 +0000\n"
    b"Thread-Topic: Business\nThread-Index: AdtDpQ2mXo0p5b7nR8eZbA1kq2yT0w==\n"
    b"Accept-Language: en-US\nContent-Language: en-US\n"
    b"X-MS-Has-Attach: \nX-MS-TNEF-Correlator: \nX-MS-Exchange-Organization-SCL: -1\n"
    b"X-MS-Exchange-Organization-AuthAs: Internal\nX-MS-Exchange-Organization-AuthSource:"
    b" BN6PR11MB1234.namprd11.prod.outlook.com\nX-Originating-IP: [10.20.30.40]\n"
    b"x-ms-publictraffictype: Email\nx-ms-office365-filtering-correlation-id:"
    b" 5f1c2a3b-8d9e-4f10-a1b2-c3d4e5f60718\nX-Mailer: Microsoft Outlook 16.0\n"
    b"References: <BN6PR11MB1234ABCD@BN6PR11MB1234.namprd11.prod.outlook.com>\n"
)


def export(commit: str, folder: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "src", "config", "rules"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def measure(job: Path, src: Path) -> float:
    env = {**os.environ, "PYTHONPATH": f"{src}:{ROOT}"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_detect.py"), "--child", "piigate", str(job)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return float(json.loads(proc.stdout.strip().splitlines()[-1])["msgs_per_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="272b5a7")
    parser.add_argument("--business", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    from bench.bench_detect import business_corpus
    from tests.detection.generate import Values

    business = business_corpus(Values(random.Random(args.seed)), args.business)
    corpora = {
        "business mail": business,
        "business mail + 15 Outlook headers": [OUTLOOK_HEADERS + m for m in business],
    }
    with tempfile.TemporaryDirectory() as tmp:
        base_src = export(args.baseline, Path(tmp) / "base")
        print(f"| corpus | baseline {args.baseline} msgs/s | this tree msgs/s | ratio |")
        print("|---|---|---|---|")
        for name, messages in corpora.items():
            job = Path(tmp) / "job.json"
            truth = [[] for _ in messages]
            job.write_text(json.dumps({"messages": [m.hex() for m in messages], "truth": truth}))
            base, ours = [], []
            for _ in range(args.rounds):  # alternate, so drift on a shared machine hits both
                base.append(measure(job, base_src))
                ours.append(measure(job, ROOT / "src"))
            b, o = statistics.median(base), statistics.median(ours)
            print(f"| {name} | {b:.1f} | {o:.1f} | {o / b:.2f} |")


if __name__ == "__main__":
    main()

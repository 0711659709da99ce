"""OCR engine comparison: Tesseract (tesserocr) against RapidOCR (rapidocr-onnxruntime) on the
seeded OCR corpus (``tests/ocr/corpus.py``), scored by piigate's own detector.

The engines need not be installed in the project's environment: the comparison runs in three
steps, the middle one in any Python that has the engine under test.

    .venv/bin/python bench/bench_ocr_engines.py generate /tmp/ocr-eval
    OTHER/bin/python bench/bench_ocr_engines.py read /tmp/ocr-eval tesseract   # or rapidocr
    .venv/bin/python bench/bench_ocr_engines.py score /tmp/ocr-eval tesseract rapidocr

``read`` OCRs every page in two worker processes (the 2 cores of the reference machine) and
records each page's seconds and each worker's peak memory; ``score`` runs the OCR noise
correction and the detector on the text and reports SSN and name+DOB recall per dpi, and
findings on the precision set.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "src"))  # piigate.ocr.engine needs only Pillow and the engine
TESSDATA = "/usr/share/tesseract-ocr/5/tessdata/"


def generate(folder: Path) -> None:
    from tests.ocr.corpus import precision_set, scans

    folder.mkdir(parents=True, exist_ok=True)
    index = []
    for scan in scans(per_cell=2):
        scan.image.save(folder / f"{scan.label}.png")
        index.append({"label": scan.label, "dpi": scan.dpi, "truth": sorted(scan.truth)})
    for label, image in precision_set():
        image.save(folder / f"clean-{label}.png")
        index.append({"label": f"clean-{label}", "dpi": 0, "truth": []})
    (folder / "index.json").write_text(json.dumps(index))
    print(f"{len(index)} images in {folder}")


_ENGINE: object = None


def _rapidocr() -> object:
    global _ENGINE  # noqa: PLW0603 (a worker process's engine, loaded on its first page)
    if _ENGINE is None:
        from rapidocr_onnxruntime import RapidOCR

        _ENGINE = RapidOCR()
    return _ENGINE


def _read_one(args: tuple[str, str]) -> tuple[str, str, float, float, int]:
    """One page through the engine, laid out by piigate's own ``laid_out`` (rows, tabs)."""
    from PIL import Image

    from piigate.ocr.engine import PageLimits, laid_out, read_pages

    engine, path = args
    started, cpu = time.perf_counter(), time.process_time()
    if engine == "tesseract":
        limits = PageLimits(TESSDATA, 120_000_000, 50, 4000)
        text = read_pages(Path(path).read_bytes(), limits)[0].text
    else:
        import numpy as np

        result, _ = _rapidocr()(np.asarray(Image.open(path).convert("RGB")))  # type: ignore[operator]
        boxes = [
            [(int(min(x for x, _ in box)), int(min(y for _, y in box)),
              int(max(x for x, _ in box)), int(max(y for _, y in box)), str(text))]
            for box, text, _ in result or []
        ]  # fmt: skip
        text = laid_out(boxes)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return Path(path).stem, text, seconds, cpu, peak


def read(folder: Path, engine: str) -> None:
    index = json.loads((folder / "index.json").read_text())
    paths = [(engine, str(folder / f"{item['label']}.png")) for item in index]
    started = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        results = list(pool.map(_read_one, paths))
    wall = time.perf_counter() - started
    out = {
        "engine": engine,
        "wall_s": wall,
        "pages": len(results),
        "cpu_s": sum(r[3] for r in results),
        "peak_rss_kib": max(r[4] for r in results),
        "pages_detail": {label: {"text": t, "s": s} for label, t, s, _, _ in results},
    }
    (folder / f"texts-{engine}.json").write_text(json.dumps(out))
    print(f"{engine}: {len(results)} pages in {wall:.1f} s on 2 workers")


def score(folder: Path, engines: list[str]) -> None:
    from piigate.config import DetectionSettings
    from piigate.detect import Detector
    from piigate.extract.ocr_text import corrected
    from piigate.model import Segment

    detector = Detector(DetectionSettings())
    index = json.loads((folder / "index.json").read_text())
    for engine in engines:
        data = json.loads((folder / f"texts-{engine}.json").read_text())
        tally: dict[tuple[int, str], list[int]] = {}
        false_alarms = 0
        for item in index:
            text = corrected(data["pages_detail"][item["label"]]["text"])
            found = {
                (f.entity_type, f.key) for f in detector.detect((Segment("x", text),)).findings
            }
            if not item["truth"]:
                false_alarms += len(found)
                continue
            for entity, key in (tuple(t) for t in item["truth"]):
                hit = tally.setdefault((item["dpi"], entity), [0, 0])
                hit[0 if (entity, key) in found else 1] += 1
        pages = data["pages"]
        print(
            f"{engine}: {pages / data['wall_s']:.2f} pages/s on 2 workers, "
            f"{data['cpu_s'] / pages:.2f} CPU s per page, "
            f"peak RSS {data['peak_rss_kib'] / 1024:.0f} MiB per worker, "
            f"{false_alarms} findings on the precision set"
        )
        for (dpi, entity), (hit, miss) in sorted(tally.items()):
            print(f"  {dpi} dpi {entity}: recall {hit / (hit + miss):.3f} ({hit}/{hit + miss})")


if __name__ == "__main__":
    command, folder_name, *rest = sys.argv[1:]
    target = Path(folder_name)
    if command == "generate":
        generate(target)
    elif command == "read":
        read(target, rest[0])
    else:
        score(target, rest)

"""Precision and recall per entity type on the seeded labelled set, reported in the pytest
summary, with floors.

Floors: recall 0.95 for SSNs, payment cards and name+DOB (the issue's bar: these are what
left the agency in the seed story); 0.90 for the context-bound types (documents, bank
accounts and the other paired elements), whose phrasings vary more than any context list
can cover; precision 0.95 per type on the labelled set, and 0.98 on business mail, where a
false alarm blocks legitimate mail.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from piigate.config import DetectionSettings
from piigate.detect import Detector
from tests.detection.conftest import REPORT
from tests.detection.generate import Case, business_set, labelled_set

RECALL_FLOOR = {"US_SSN": 0.95, "PAYMENT_CARD": 0.95, "DATE_OF_BIRTH": 0.95}
DEFAULT_RECALL_FLOOR = 0.90
PRECISION_FLOOR = 0.95
BUSINESS_PRECISION_FLOOR = 0.98


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionSettings())


def score(detector: Detector, cases: Iterable[Case]) -> dict[str, list[int]]:
    """Per entity type: [true positives, false positives, false negatives]."""
    counts: dict[str, list[int]] = {}
    for case in cases:
        found = {(f.entity_type, f.key) for f in detector.detect(case.segments).findings}
        for entity, key in found | case.truth:
            tally = counts.setdefault(entity, [0, 0, 0])
            if (entity, key) in found and (entity, key) in case.truth:
                tally[0] += 1
            elif (entity, key) in found:
                tally[1] += 1
            else:
                tally[2] += 1
    return counts


def _ratio(a: int, b: int) -> float:
    return a / (a + b) if a + b else 1.0


def test_precision_and_recall_per_type(detector: Detector) -> None:
    """Every type meets its recall floor and the precision floor on the labelled set."""
    counts = score(detector, labelled_set())
    failures = []
    REPORT.append("labelled set (prose, tables, HTML, near-misses)")
    for entity, (tp, fp, fn) in sorted(counts.items()):
        precision, recall = _ratio(tp, fp), _ratio(tp, fn)
        floor = RECALL_FLOOR.get(entity, DEFAULT_RECALL_FLOOR)
        REPORT.append(
            f"  {entity:<22} precision {precision:.3f}  recall {recall:.3f} "
            f"(tp {tp}, fp {fp}, fn {fn}; recall floor {floor})"
        )
        if recall < floor:
            failures.append(f"{entity} recall {recall:.3f} < {floor}")
        if precision < PRECISION_FLOOR:
            failures.append(f"{entity} precision {precision:.3f} < {PRECISION_FLOOR}")
    assert not failures, failures


def test_business_mail_precision(detector: Detector) -> None:
    """Ordinary office mail raises (almost) no false alarm."""
    cases = list(business_set())
    counts = score(detector, cases)
    tp = sum(c[0] for c in counts.values())
    fp = sum(c[1] for c in counts.values())
    fn = sum(c[2] for c in counts.values())
    precision = _ratio(tp, fp)
    REPORT.append(
        f"business mail ({len(cases)} messages): precision {precision:.3f} "
        f"(tp {tp}, fp {fp}, fn {fn}; floor {BUSINESS_PRECISION_FLOOR})"
    )
    assert precision >= BUSINESS_PRECISION_FLOOR


def test_pipeline_loaded_on_first_need_detects_the_same(detector: Detector) -> None:
    """A detector that loads its NER pipeline when a name is first needed (``piigate scan``)
    returns, case by case, exactly the detection of one loaded at start-up (the gate)."""
    lazy = Detector(DetectionSettings(), load_ner_now=False)
    assert not lazy.ner_loaded
    for case in labelled_set():
        assert lazy.detect(case.segments) == detector.detect(case.segments)
    assert lazy.ner_loaded

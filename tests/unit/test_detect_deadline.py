"""Detection stops at its deadline, so a scan the gate has given up on (451 after
``scan.timeout``) does not run on in its thread; the screener turns a detection that ran out
of time into a blocking defect, so the message is held or refused as unscannable."""

from __future__ import annotations

import random
import time

import pytest

from piigate.config import DetectionSettings
from piigate.detect import Detector
from piigate.errors import DetectionTimeout
from piigate.model import Envelope, Segment, Table
from piigate.pipeline import Screener
from tests.synthetic import message, ssn


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionSettings(spacy_model=None))


def test_detection_past_its_deadline_stops(detector: Detector) -> None:
    """In prose and in a table alike, a deadline already passed stops detection; without
    one, or with time left, the same segments give their finding."""
    value = ssn(random.Random(3))
    prose = Segment("body", f"SSN {value}\n")
    table = Segment("attachment l.csv", "", tables=(Table("", (("Name", "SSN"), ("Doe", value))),))
    past = time.monotonic() - 1
    for segment in (prose, table):
        with pytest.raises(DetectionTimeout, match="ran out of time"):
            detector.detect([segment], deadline=past)
        assert len(detector.detect([segment]).findings) == 1
        assert len(detector.detect([segment], deadline=time.monotonic() + 60).findings) == 1


def test_screener_holds_a_message_whose_detection_ran_out_of_time(screener: Screener) -> None:
    """120,000 lines each with an SSN (3.6 MB) take several seconds to analyse, far more
    than nine tenths of a 2-second scan.timeout; extracting them is quick. The screening
    ends with a blocking defect and the unscannable-content violation, not a late or
    clean verdict."""
    rng = random.Random(5)
    body = "".join(f"Record {i}: SSN {ssn(rng)}\n" for i in range(120_000))
    raw = message(body=body, to=("bob@fbi.gov",))
    timed = Screener(screener.detector, screener.policy, screener.extraction, scan_timeout=2.0)
    screening = timed.screen(Envelope("alice@dhs.gov", ("bob@fbi.gov",)), raw)
    assert [(d.where, d.reason) for d in screening.extraction.unscannable] == [
        ("message", "detection ran out of time (scan.timeout)")
    ]
    assert "unscannable-content" in [v.rule for v in screening.verdict.violations]
    assert screening.detection.findings == ()

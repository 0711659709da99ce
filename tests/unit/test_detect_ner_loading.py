"""When the NER pipeline is loaded: at start-up for the gate, on first need for short-lived
commands (``piigate scan`` of mail with no paired element never pays for it)."""

from __future__ import annotations

import pytest

from piigate.config import DetectionSettings
from piigate.detect import Detector
from piigate.model import Segment

# Visibly synthetic: a birth date with no name the lexicon knows, so only NER can pair it.
DOB_WITHOUT_KNOWN_NAME = "Zqxv Wplorrk\nDOB: 03/14/1975\n"
CLEAN = "The budget review moved to noon on Tuesday; bring the draft plan.\n"


@pytest.fixture(scope="module")
def lazy() -> Detector:
    return Detector(DetectionSettings(), load_ner_now=False)


def test_the_gate_loads_the_pipeline_when_the_detector_is_built() -> None:
    """By default (the gate) the pipeline is in memory before the first message."""
    assert Detector(DetectionSettings()).ner_loaded


def test_clean_mail_leaves_the_pipeline_unloaded(lazy: Detector) -> None:
    """Text with no paired element needs no name, so the pipeline stays on disk."""
    detection = lazy.detect([Segment("body", CLEAN)])
    assert detection.findings == ()
    assert not lazy.ner_loaded


def test_a_paired_element_loads_the_pipeline_and_gets_the_same_answer(lazy: Detector) -> None:
    """A DOB whose name only NER could supply loads the pipeline on the spot, and the
    detection equals the one of a detector loaded at start-up."""
    segments = [Segment("body", DOB_WITHOUT_KNOWN_NAME)]
    detection = lazy.detect(segments)
    assert lazy.ner_loaded
    assert detection == Detector(DetectionSettings()).detect(segments)


def test_no_model_configured_means_nothing_to_load() -> None:
    """``spacy_model: null``: names come from the lexicon; nothing is ever loaded."""
    detector = Detector(DetectionSettings(spacy_model=None), load_ner_now=False)
    detector.detect([Segment("body", DOB_WITHOUT_KNOWN_NAME)])
    assert not detector.ner_loaded

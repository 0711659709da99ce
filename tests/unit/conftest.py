"""Fixtures the unit tests share: the real detector on its name lexicon (no spaCy model),
built once for the session."""

from __future__ import annotations

import pytest

from piigate.config import DetectionSettings
from piigate.detect import Detector


@pytest.fixture(scope="session")
def detector() -> Detector:
    return Detector(DetectionSettings(spacy_model=None))

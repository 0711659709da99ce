"""The recognizer registry an admin tunes in detection.recognizers: enable/disable, score
threshold, extra context words; unknown names are a one-line file:line error."""

from __future__ import annotations

from pathlib import Path

import pytest

from piigate.config import DetectionSettings, RecognizerTuning, load_settings, shipped_dir
from piigate.detect import Detector
from piigate.errors import ConfigError
from piigate.model import Segment


def kinds(detector: Detector, text: str) -> list[str]:
    return [f.entity_type for f in detector.detect([Segment("body", text)]).findings]


def test_a_recognizer_can_be_disabled() -> None:
    tuning = {"PaymentCardRecognizer": RecognizerTuning(enabled=False)}
    detector = Detector(DetectionSettings(spacy_model=None, recognizers=tuning))
    assert kinds(detector, "card 4539 1488 0343 6467, SSN 536-22-8167") == ["US_SSN"]


def test_a_score_threshold_drops_weaker_results() -> None:
    """Shape-only SSNs score 0.85, with a context word 1.0."""
    tuning = {"UsSsnRecognizer": RecognizerTuning(score_threshold=0.9)}
    detector = Detector(DetectionSettings(spacy_model=None, recognizers=tuning))
    assert kinds(detector, "number 536-22-8167") == []
    assert kinds(detector, "SSN 536-22-8167") == ["US_SSN"]


def test_extra_context_words() -> None:
    text = "operator permit 123456789"
    assert kinds(Detector(DetectionSettings(spacy_model=None)), text) == []
    tuning = {"UsDriverLicenseRecognizer": RecognizerTuning(context=("operator permit",))}
    detector = Detector(DetectionSettings(spacy_model=None, recognizers=tuning))
    assert kinds(detector, text) == ["US_DRIVER_LICENSE"]


def test_the_shipped_config_tunes_the_registry() -> None:
    settings = load_settings(shipped_dir() / "config" / "piigate.yaml")
    assert "UsDriverLicenseRecognizer" in settings.detection.recognizers


def test_an_unknown_recognizer_is_a_one_line_error(tmp_path: Path) -> None:
    config = tmp_path / "piigate.yaml"
    config.write_text("detection:\n  recognizers:\n    SsnFinder:\n      enabled: false\n")
    with pytest.raises(ConfigError) as err:
        load_settings(config)
    message = str(err.value)
    assert "\n" not in message
    assert f"{config}:3:" in message and "unknown recognizer 'SsnFinder'" in message


def test_a_bad_threshold_is_a_one_line_error(tmp_path: Path) -> None:
    config = tmp_path / "piigate.yaml"
    config.write_text(
        "detection:\n  recognizers:\n    UsSsnRecognizer:\n      score_threshold: 2\n"
    )
    with pytest.raises(ConfigError, match=rf"{config}:4: detection.recognizers"):
        load_settings(config)

"""The extraction limits are settings: in the shipped file, overridable, passed to the screener."""

from __future__ import annotations

import pytest

from piigate.config import ExtractionSettings, load_settings, shipped_dir
from piigate.errors import ConfigError
from piigate.pipeline import Screener

SHIPPED = shipped_dir() / "config" / "piigate.yaml"


def test_shipped_file_states_the_defaults() -> None:
    """The shipped file's extraction section equals the documented defaults."""
    assert load_settings(SHIPPED).extraction == ExtractionSettings()
    assert ExtractionSettings().max_total_bytes == 200 * 1024 * 1024


def test_environment_overrides_a_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """PIIGATE_EXTRACTION__MAX_DEPTH changes one limit and leaves the others."""
    monkeypatch.setenv("PIIGATE_EXTRACTION__MAX_DEPTH", "3")
    extraction = load_settings(SHIPPED).extraction
    assert (extraction.max_depth, extraction.max_parts) == (3, 1000)


def test_an_invalid_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A depth of zero is refused at start-up, naming the setting."""
    monkeypatch.setenv("PIIGATE_EXTRACTION__MAX_DEPTH", "0")
    with pytest.raises(ConfigError, match=r"extraction\.max_depth"):
        load_settings(SHIPPED)


def test_screener_gets_the_settings(screener: Screener) -> None:
    """build_screener hands the extraction settings and the scan timeout to the screener."""
    assert screener.extraction == ExtractionSettings()
    assert screener.scan_timeout == 30.0

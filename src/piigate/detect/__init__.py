"""detect: Segments → Detection (findings, masked and located; individuals counted)."""

from __future__ import annotations

from piigate.detect.engine import Detector

__all__ = ["Detector"]

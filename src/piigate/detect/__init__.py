"""detect: Segments → Detection (findings, masked and located; individuals counted)."""

from __future__ import annotations

from piigate.detect.engine import Detector
from piigate.detect.entities import describe

__all__ = ["Detector", "describe"]

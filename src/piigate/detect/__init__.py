"""detect: Segments → Detection (findings, masked and located; individuals counted).

``Detector`` and ``describe`` are imported on first use: the submodules the ledger and the
policy need (``name_keys``, ``entities``) must not pull in Presidio and spaCy, or every
``piigate`` command would pay for loading the NLP stack before doing anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from piigate.detect.engine import Detector
    from piigate.detect.entities import describe

__all__ = ["Detector", "describe"]


def __getattr__(name: str) -> object:
    """The package's public names, imported when first asked for."""
    if name == "Detector":
        from piigate.detect.engine import Detector

        return Detector
    if name == "describe":
        from piigate.detect.entities import describe

        return describe
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

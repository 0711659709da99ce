"""The recognizer registry an admin tunes in ``detection.recognizers`` of the config:

    detection:
      recognizers:
        UsDriverLicenseRecognizer:
          enabled: true
          score_threshold: 0.5         # results scoring lower are dropped
          context: ["operator permit"] # extra context words, on top of the built-in ones
        SpacyNerRecognizer: {enabled: false}

Every recognizer is on by default. ``PersonNameLexicon`` and ``SpacyNerRecognizer`` are the
two sources of person names (for the pairs); they take ``enabled`` only.
"""

from __future__ import annotations

from collections.abc import Mapping

from piigate.config import RecognizerTuning
from piigate.detect.dates import DateOfBirthRecognizer
from piigate.detect.documents import (
    ANumberRecognizer,
    UsDriverLicenseRecognizer,
    UsPassportRecognizer,
)
from piigate.detect.financial import BankAccountRecognizer, PaymentCardRecognizer
from piigate.detect.pairs import (
    CitizenshipStatusRecognizer,
    CriminalHistoryRecognizer,
    MaidenNameRecognizer,
    SsnLast4Recognizer,
)
from piigate.detect.recognizer import PiiRecognizer
from piigate.detect.ssn import UsSsnRecognizer
from piigate.detect.tuning import LEXICON, NAME_SOURCES, NER, RECOGNIZER_NAMES, TUNABLE

__all__ = [
    "LEXICON",
    "NAME_SOURCES",
    "NER",
    "RECOGNIZERS",
    "TUNABLE",
    "build_recognizers",
    "source_enabled",
]

RECOGNIZERS: dict[str, type[PiiRecognizer]] = {
    cls.NAME: cls
    for cls in (
        UsSsnRecognizer,
        UsPassportRecognizer,
        UsDriverLicenseRecognizer,
        ANumberRecognizer,
        PaymentCardRecognizer,
        BankAccountRecognizer,
        DateOfBirthRecognizer,
        SsnLast4Recognizer,
        MaidenNameRecognizer,
        CitizenshipStatusRecognizer,
        CriminalHistoryRecognizer,
    )
}
if tuple(RECOGNIZERS) != RECOGNIZER_NAMES:  # the config validates against the plain names
    raise ImportError("detect.tuning.RECOGNIZER_NAMES is out of step with the recognizers")


def build_recognizers(tuning: Mapping[str, RecognizerTuning]) -> list[PiiRecognizer]:
    """One instance of every enabled recognizer, with its threshold and extra context."""
    built = []
    for name, cls in RECOGNIZERS.items():
        entry = tuning.get(name)
        if entry is None:
            built.append(cls())
        elif entry.enabled:
            built.append(cls(extra_context=entry.context, score_threshold=entry.score_threshold))
    return built


def source_enabled(tuning: Mapping[str, RecognizerTuning], name: str) -> bool:
    entry = tuning.get(name)
    return entry is None or entry.enabled

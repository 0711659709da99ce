"""The names an admin may tune in ``detection.recognizers`` (see ``detect.registry``).

Plain strings, importing nothing, so that validating the config does not load Presidio: the
registry builds its table from the recognizer classes and checks it against these names.
"""

from __future__ import annotations

RECOGNIZER_NAMES = (
    "UsSsnRecognizer",
    "UsPassportRecognizer",
    "UsDriverLicenseRecognizer",
    "ANumberRecognizer",
    "PaymentCardRecognizer",
    "BankAccountRecognizer",
    "DateOfBirthRecognizer",
    "SsnLast4Recognizer",
    "MaidenNameRecognizer",
    "CitizenshipStatusRecognizer",
    "CriminalHistoryRecognizer",
)
LEXICON = "PersonNameLexicon"
NER = "SpacyNerRecognizer"
NAME_SOURCES = (LEXICON, NER)
TUNABLE = (*RECOGNIZER_NAMES, *NAME_SOURCES)

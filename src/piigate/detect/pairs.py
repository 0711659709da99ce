"""Elements that are sensitive only together with a person's name (the DHS handbook's
examples besides the date of birth): the last four digits of an SSN, a mother's maiden name,
citizenship or immigration status, criminal history.

Each recognizer finds the element; the engine reports it only when a person's name is in the
same record (table row, line, or short window of prose). Their keys are the element's value:
the four digits, the maiden name lower-cased, the status as written (lower-cased), and
``criminal-history``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import ClassVar

from piigate.detect.recognizer import FoldedPattern, Match, PiiRecognizer, word_source

SSN_LAST4 = "SSN_LAST4"
MAIDEN_NAME = "MOTHERS_MAIDEN_NAME"
CITIZENSHIP = "CITIZENSHIP_STATUS"
CRIMINAL = "CRIMINAL_HISTORY"


class SsnLast4Recognizer(PiiRecognizer):
    """``last 4 of SSN: 6789``, ``SSN ending in 6789``, ``last four digits of her social are
    6789``, ``xxx-xx-6789``, ``***-**-6789``."""

    ENTITY = SSN_LAST4
    NAME = "SsnLast4Recognizer"
    CONTEXT: ClassVar[tuple[str, ...]] = (
        "last 4",
        "last four",
        "last 4 digits",
        "last four digits",
        "last4",
        "ending in",
        "ending with",
        "ends in",
        "ends with",
        "l4",
    )
    HEADER_CONTEXT: ClassVar[tuple[str, ...]] = ("ssn4", "last 4 ssn", "ssn last 4")
    CONTEXT_WINDOW = 48
    TRIGGERS: ClassVar[tuple[str, ...]] = ("last", "ending", "ends", "l4", "xx-", "**-", "##-")
    _SSN_WORD = re.compile(r"(?<![a-z])(?:ssn|ss#|social|soc sec|social security)(?![a-z])", re.I)
    _FOUR = re.compile(r"(?<![\w\-*/.])\d{4}(?![\w\-/]|\.\d)")
    _MASKED = re.compile(r"(?<![\w\-])(?:[xX*#]{3}-?[xX*#]{2}-?|[xX*#]{5})(\d{4})(?![\w\-])")

    def matches(self, text: str) -> Iterator[Match]:
        for m in self._MASKED.finditer(text):
            yield Match(m.start(), m.end(), m.group(1), 0.85)
        floor = 0
        for m in self._FOUR.finditer(text):
            window = text[max(floor, m.start() - self.CONTEXT_WINDOW) : m.start()]
            if self.context_words.search(window) and self._SSN_WORD.search(window):
                yield Match(m.start(), m.end(), m.group(), 0.85)
                floor = m.end()

    def cell(self, value: str) -> str | None:
        value = value.strip()
        m = self._MASKED.fullmatch(value)
        if m:
            return m.group(1)
        return value if len(value) == 4 and value.isdigit() else None


class MaidenNameRecognizer(PiiRecognizer):
    """The capitalised surname after "mother's maiden name" (or "maiden name")."""

    ENTITY = MAIDEN_NAME
    NAME = "MaidenNameRecognizer"
    CONTEXT: ClassVar[tuple[str, ...]] = ("maiden name", "mother's maiden name", "mmn")
    TRIGGERS: ClassVar[tuple[str, ...]] = ("maiden", "mmn")
    _VALUE = re.compile(
        r"(?:maiden\s+name|\bmmn)\b(?:\s+(?:is|was|of|as))?\s*[:=\-]?\s*"
        r"[\"'\u201c]?(?P<value>(?-i:[A-Z][A-Za-z'\u2019\-]+(?:[ \t]+[A-Z][A-Za-z'\u2019\-]+)?))",
        re.I,
    )
    _WORD = re.compile(r"[A-Z][A-Za-z'\u2019\-]+")

    def matches(self, text: str) -> Iterator[Match]:
        for m in self._VALUE.finditer(text):
            value = m.group("value")
            if not value[0].isupper() or value.lower() in ("unknown", "none", "n/a"):
                continue
            yield Match(m.start("value"), m.end("value"), value.lower(), 0.85)

    def cell(self, value: str) -> str | None:
        value = value.strip()
        if self._WORD.fullmatch(value.split(" ")[-1] if value else ""):
            return value.lower()
        return None


_STATUS_TERMS = (
    "u.s. citizen",
    "us citizen",
    "united states citizen",
    "naturalized citizen",
    "naturalized u.s. citizen",
    "non-citizen",
    "noncitizen",
    "lawful permanent resident",
    "legal permanent resident",
    "permanent resident",
    "lpr",
    "green card holder",
    "undocumented",
    "undocumented immigrant",
    "illegal alien",
    "unlawfully present",
    "asylee",
    "asylum seeker",
    "refugee",
    "parolee",
    "daca recipient",
    "tps holder",
    "visa overstay",
    "overstayed",
    "deportable",
    "removable",
    "in removal proceedings",
    "h-1b",
    "f-1",
    "dual citizen",
)
_STATUS = "|".join(
    re.escape(t).replace(r"\ ", r"\s+") for t in sorted(_STATUS_TERMS, key=len)[::-1]
)


class CitizenshipStatusRecognizer(PiiRecognizer):
    """A citizenship or immigration status said of someone: after a label ("citizenship:",
    "immigration status is") or a copula ("is a lawful permanent resident", "was an
    asylee"). A policy sentence ("applicants must be U.S. citizens") is not."""

    ENTITY = CITIZENSHIP
    NAME = "CitizenshipStatusRecognizer"
    CONTEXT: ClassVar[tuple[str, ...]] = (
        "citizenship",
        "citizenship status",
        "immigration status",
        "alien status",
        "residency status",
        "visa status",
        "nationality",
    )
    TRIGGERS: ClassVar[tuple[str, ...]] = (
        "citizen",
        "resident",
        "lpr",
        "green card",
        "undocumented",
        "alien",
        "unlawful",
        "asyl",
        "refugee",
        "parolee",
        "daca",
        "tps",
        "overstay",
        "deportable",
        "removable",
        "removal",
        "h-1b",
        "f-1",
    )
    _TERM = FoldedPattern(r"(?<![\w-])(?:" + _STATUS + r")(?![\w-])")
    _COPULA = re.compile(
        r"(?:\b(?:is|was|became|remains|as)\s+(?:now\s+|currently\s+|still\s+)?(?:an?\s+)?|\(\s*)$",
        re.I,
    )
    _LABEL_TAIL = re.compile(r"(?:\s*(?:status)?\s*(?:[:=\-]|is|was)\s*)$", re.I)

    def matches(self, text: str) -> Iterator[Match]:
        for m in self._TERM.finditer(text):
            before = text[max(0, m.start() - 40) : m.start()]
            label = self.context_words.search(before)
            labelled = label is not None and self._LABEL_TAIL.search(before[label.end() :])
            if labelled or self._COPULA.search(before[-30:]):
                value = " ".join(m.group().lower().split())
                yield Match(m.start(), m.end(), value, 0.85)

    def cell(self, value: str) -> str | None:
        value = " ".join(value.strip().lower().split())
        return value if value and value not in ("n/a", "none", "unknown", "-") else None


class CriminalHistoryRecognizer(PiiRecognizer):
    """Criminal history said of someone: "convicted of", "arrested for", "pleaded guilty",
    "has a criminal record", "criminal history: …", "rap sheet shows". Not the checks an
    office runs ("criminal history checks", "background screening")."""

    ENTITY = CRIMINAL
    NAME = "CriminalHistoryRecognizer"
    CONTEXT: ClassVar[tuple[str, ...]] = (
        "criminal history",
        "criminal record",
        "arrest record",
        "arrest history",
        "conviction history",
        "rap sheet",
        "prior convictions",
        "prior arrests",
    )
    HEADER_CONTEXT: ClassVar[tuple[str, ...]] = ("convictions", "arrests", "offenses")
    TRIGGERS: ClassVar[tuple[str, ...]] = (
        "convict",
        "arrest",
        "charged",
        "guilty",
        "sentenced",
        "served",
        "felony",
        "misdemeanor",
        "dui",
        "dwi",
        "probation",
        "parole",
        "criminal",
        "rap sheet",
    )
    _EVENT = FoldedPattern(
        r"\b(?:convicted\s+(?:of|for|on)|arrested\s+(?:for|on|in)"
        r"|charged\s+with|pleaded\s+guilty|pled\s+guilty|sentenced\s+to|served\s+\d+\s+(?:years|months)"
        r"|(?:felony|misdemeanor|dui|dwi)\s+conviction|on\s+(?:probation|parole)\s+(?:for|since|until))"
    )
    _NOUN_AFTER = re.compile(
        r"^\s*(?:\(|:|-|shows|includes|indicates|reveals|lists|of\b|records?\s+shows?)", re.I
    )
    _NOUN_BEFORE = re.compile(r"\b(?:has|had|with|his|her|their)\s+(?:an?\s+)?(?:prior\s+)?$", re.I)
    _NOT_HISTORY = re.compile(
        r"^\s*(?:checks?|screenings?|reviews?|records?\s+checks?|policy|policies|requests?|"
        r"inquir(?:y|ies)|searches|training|unit|division|database)\b",
        re.I,
    )

    def __init__(
        self, extra_context: Iterable[str] = (), score_threshold: float | None = None
    ) -> None:
        super().__init__(extra_context, score_threshold)
        self._mentions = FoldedPattern(word_source((*self.CONTEXT, *extra_context)))

    def matches(self, text: str) -> Iterator[Match]:
        for m in self._EVENT.finditer(text):
            yield Match(m.start(), m.end(), "criminal-history", 0.85)
        for m in self._mentions.finditer(text):
            after = text[m.end() : m.end() + 24]
            before = text[max(0, m.start() - 24) : m.start()]
            if self._NOT_HISTORY.match(after):
                continue
            if self._NOUN_AFTER.match(after) or self._NOUN_BEFORE.search(before):
                yield Match(m.start(), m.end(), "criminal-history", 0.85)

    def cell(self, value: str) -> str | None:
        value = value.strip().lower()
        if not value or value in ("none", "no", "n/a", "-", "0", "no record", "clear", "false"):
            return None
        return "criminal-history"

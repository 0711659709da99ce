"""Masked context for each finding, made where the text already is: in the gate, when a
message is held (``FindingContexts``), and stored with the held message's details. The review
UI then shows ``… employee ***-**-6789, born **/**/1984 …`` for a finding in an attachment, a
table or OCR text without ever reading the message's text itself.

- A finding in running text (a body, an attachment's text, OCR text): its line, with every
  value the recognizers find masked, every number of five or more digits starred, every
  capitalised word the name lexicon knows (and, in the first ``NER_LINES`` lines, every
  person the NER model finds) masked as initials, trimmed round the finding. If the finding's
  own mask is not in the masked line (the value was found only in the message's wider
  context), the context is the mask alone: a line whose value was not masked is never kept.
- A finding in a table (a sheet, a CSV, rows pasted into text): its row, built only from the
  masked values found in that row with their columns (``row 12 · SSN ***-**-6789 · …``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from spacy.language import Language

from piigate.detect.engine import Detector
from piigate.detect.names import NameLexicon
from piigate.model import Finding, Segment

CONTEXT_CHARS = 90
"""Characters of a line kept round its finding."""
CONTEXT_LINES = 400
"""Distinct lines of running text masked per held message; findings beyond get their mask."""
NER_LINES = 50
"""Lines the NER model reads for names (the lexicon reads them all): NER costs about 20 ms a
line, so 400 would cost as much as screening the message again."""
_WORD = re.compile(r"[A-Z][A-Za-z'\u2019\-]+")
_NUMBER = re.compile(r"(?<![\d*])\d(?:[-./]?\d){4,}")
"""Five or more digits in a row (dashes, dots, slashes between): starred, whether or not a
recognizer took them for a value (an SSN it rejected is still somebody's number)."""


class FindingContexts:
    """Built once with the gate's detector; ``of`` runs off the event loop (CPU work)."""

    def __init__(self, detector: Detector) -> None:
        self.detector = detector

    def of(self, segments: Sequence[Segment], findings: Sequence[Finding]) -> list[str]:
        """One masked context per finding, in the findings' order."""
        wanted = _wanted_lines(findings)
        lines = self._masked_lines(segments, wanted)
        rows = _table_rows(findings)
        return [
            rows[(f.where, f.line)] if f.column is not None else _trimmed(f, lines)
            for f in findings
        ]

    def _masked_lines(
        self, segments: Sequence[Segment], wanted: list[tuple[str, int]]
    ) -> dict[tuple[str, int], str]:
        texts: dict[str, list[str]] = {}
        for segment in segments:
            if segment.where not in texts:
                texts[segment.where] = self.detector.canonical(segment.text).text.split("\n")
        places = [(w, n) for w, n in wanted if 0 < n <= len(texts.get(w, ()))]
        if not places:
            return {}
        raw = "\n".join(texts[where][line - 1] for where, line in places)
        masked, _ = self.detector.masked_text(raw)
        masked = _NUMBER.sub(lambda m: re.sub(r"\d", "*", m.group()), masked)
        lines = self._without_names(masked.split("\n"))
        return dict(zip(places, lines, strict=True))

    def _without_names(self, lines: list[str]) -> list[str]:
        lexicon = self.detector.lexicon
        if lexicon is not None:
            lines = [
                _WORD.sub(
                    lambda m: _initial(m.group()) if _is_name(lexicon, m.group()) else m.group(),
                    line,
                )
                for line in lines
            ]
        nlp = self.detector.ner()
        if nlp is None:
            return lines
        found = self._ner_spans(nlp, lines)
        return [_masked_spans(line, found.get(i, [])) for i, line in enumerate(lines)]

    def _ner_spans(self, nlp: Language, lines: list[str]) -> dict[int, list[tuple[int, int]]]:
        """Person spans per line (the NER model reads each line as its own window)."""
        found: dict[int, list[tuple[int, int]]] = {}
        docs = nlp.pipe(lines[:NER_LINES], batch_size=32)
        for index, doc in enumerate(docs):
            found[index] = [
                (ent.start_char, ent.end_char) for ent in doc.ents if ent.label_ == "PERSON"
            ]
        return found


def _wanted_lines(findings: Iterable[Finding]) -> list[tuple[str, int]]:
    wanted = dict.fromkeys((f.where, f.line) for f in findings if f.column is None)
    return list(wanted)[:CONTEXT_LINES]


def _table_rows(findings: Iterable[Finding]) -> dict[tuple[str, int], str]:
    rows: dict[tuple[str, int], list[str]] = {}
    for f in findings:
        if f.column is not None:
            rows.setdefault((f.where, f.line), []).append(f"{f.column}: {f.masked}")
    return {
        (where, line): " · ".join([f"row {line}", *cells]) for (where, line), cells in rows.items()
    }


def _trimmed(finding: Finding, lines: dict[tuple[str, int], str]) -> str:
    line = lines.get((finding.where, finding.line), "")
    own = finding.masked.rsplit(", ", 1)[-1]  # a paired finding: "J*** S****, **/**/1984"
    at = line.find(own)
    if at < 0:
        return f"… {finding.masked} …"
    return trimmed_round(line, at, len(own))


def trimmed_round(line: str, at: int, length: int) -> str:
    """``line`` cut to about ``CONTEXT_CHARS`` round ``line[at:at + length]``, from the start
    of a word, with an ellipsis where it was cut."""
    left = max(0, at - (CONTEXT_CHARS - length) // 2)
    if left > 0 and line[left - 1] != " ":
        space = line.find(" ", left, at)
        left = space + 1 if space >= 0 else left
    width = max(CONTEXT_CHARS, length)
    snippet = line[left : left + width].strip()
    before = "… " if left > 0 else ""
    after = " …" if left + width < len(line) else ""
    return f"{before}{snippet}{after}"


def _is_name(lexicon: NameLexicon, word: str) -> bool:
    return lexicon.is_first(word) or lexicon.is_last(word)


def _initial(word: str) -> str:
    return word[0] + "*" * (len(word) - 1)


def _masked_spans(line: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        words = [_initial(w) if w[:1].isalpha() else w for w in line[start:end].split(" ")]
        line = line[:start] + " ".join(words) + line[end:]
    return line


__all__ = ["CONTEXT_CHARS", "FindingContexts", "trimmed_round"]

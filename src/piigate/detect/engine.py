"""The detector: one Presidio ``AnalyzerEngine``, built once, hosting piigate's recognizers.

Texts are analysed in chunks of whole lines (so a large attachment never meets spaCy's length
limit and every finding gets its line number cheaply).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import structlog
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

from piigate.config import DetectionSettings
from piigate.detect import ssn
from piigate.detect.nlp import TokenizerNlpEngine, load_ner
from piigate.model import Detection, Finding, Segment, Table

log = structlog.get_logger("piigate.detect")

CHUNK_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class EntityKind:
    """How to turn a raw match of one entity type into a key and a masked excerpt."""

    normalize: Callable[[str], str]
    mask: Callable[[str], str]
    identity: str | None
    """Prefix of the individual's identity key (``ssn``), or None if it names no one alone."""
    label: tuple[str, str]
    """How the sender is told about it: singular and plural."""


KINDS: dict[str, EntityKind] = {
    ssn.ENTITY: EntityKind(ssn.normalize, ssn.mask_ssn, identity="ssn", label=("SSN", "SSNs")),
}


def describe(entity_type: str, count: int) -> str:
    """``describe("US_SSN", 3)`` → ``"3 SSNs"``, for replies and notices."""
    kind = KINDS.get(entity_type)
    singular, plural = kind.label if kind else (entity_type, entity_type)
    return f"{count:,} {singular if count == 1 else plural}"


def build_recognizers() -> list[EntityRecognizer]:
    return [ssn.UsSsnRecognizer()]


class Detector:
    def __init__(self, settings: DetectionSettings) -> None:
        self.settings = settings
        # The NER pipeline is for person names (name + DOB pairs); loaded once, here.
        self.ner = load_ner(settings.spacy_model)
        if settings.spacy_model and self.ner is None:
            log.warning(
                "spaCy model not installed; person names will not come from NER",
                model=settings.spacy_model,
            )
        registry = RecognizerRegistry(
            recognizers=build_recognizers(), supported_languages=[settings.language]
        )
        self.entities = sorted(KINDS)
        self.analyzer = AnalyzerEngine(
            registry=registry,
            nlp_engine=TokenizerNlpEngine(settings.language),
            supported_languages=[settings.language],
            default_score_threshold=settings.score_threshold,
            context_aware_enhancer=LemmaContextAwareEnhancer(context_matching_mode="whole_word"),
        )

    def detect(self, segments: Sequence[Segment]) -> Detection:
        findings: list[Finding] = []
        for segment in segments:
            findings.extend(self._detect_segment(segment))
        individuals = frozenset(
            f"{identity}:{f.key}"
            for f in findings
            if (identity := KINDS[f.entity_type].identity) is not None
        )
        return Detection(tuple(findings), individuals)

    def _detect_segment(self, segment: Segment) -> Iterator[Finding]:
        for hit in self._hits(segment.text):
            yield self._finding(segment, segment.where, hit, column=None)
        for table in segment.tables:
            yield from self._detect_table(segment, table)

    def _detect_table(self, segment: Segment, table: Table) -> Iterator[Finding]:
        """First cut: each row is analysed as a line of tab-separated cells; a finding's
        column is the header cell above it (or the column's letter)."""
        header = table.rows[0] if table.rows else ()
        where = f"{segment.where} sheet {table.name}" if table.name else segment.where
        for hit in self._hits("\n".join("\t".join(row) for row in table.rows)):
            index = _cell_index(table.rows[hit.line - 1], hit.column_offset)
            name = header[index] if index < len(header) and header[index] else _letter(index)
            yield self._finding(segment, where, hit, column=name)

    def _finding(self, segment: Segment, where: str, hit: _Hit, column: str | None) -> Finding:
        kind = KINDS[hit.entity_type]
        key = kind.normalize(hit.raw)
        return Finding(
            entity_type=hit.entity_type,
            where=where,
            line=hit.line,
            masked=kind.mask(key),
            score=hit.score,
            recognizer=hit.recognizer,
            grade=segment.grade,
            column=column,
            key=key,
        )

    def _hits(self, text: str) -> Iterator[_Hit]:
        for first_line, chunk in _chunks(text):
            line_starts = _line_starts(chunk)
            results = self.analyzer.analyze(
                text=chunk, language=self.settings.language, entities=self.entities
            )
            for result in sorted(results, key=lambda r: r.start):
                if result.entity_type not in KINDS:
                    continue
                index = bisect.bisect_right(line_starts, result.start) - 1
                yield _Hit(
                    entity_type=result.entity_type,
                    raw=chunk[result.start : result.end],
                    line=first_line + index,
                    column_offset=result.start - line_starts[index],
                    score=float(result.score),
                    recognizer=str((result.recognition_metadata or {}).get("recognizer_name", "")),
                )


@dataclass(frozen=True, slots=True)
class _Hit:
    """One recognizer result, located; the raw text stays inside the detector."""

    entity_type: str
    raw: str = field(repr=False)
    line: int
    column_offset: int
    score: float
    recognizer: str


def _cell_index(row: tuple[str, ...], offset: int) -> int:
    position = 0
    for index, cell in enumerate(row):
        position += len(cell) + 1
        if offset < position:
            return index
    return max(len(row) - 1, 0)


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _line_starts(text: str) -> list[int]:
    starts = [0]
    index = text.find("\n")
    while index != -1:
        starts.append(index + 1)
        index = text.find("\n", index + 1)
    return starts


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Yield (first line number, chunk) pieces of whole lines, each at most about
    ``CHUNK_CHARS`` long."""
    offset, line = 0, 1
    while offset < len(text):
        end = min(len(text), offset + CHUNK_CHARS)
        if end < len(text):
            cut = text.rfind("\n", offset, end)
            end = cut + 1 if cut > offset else end
        chunk = text[offset:end]
        yield line, chunk
        line += chunk.count("\n")
        offset = end

"""The detector: one Presidio ``AnalyzerEngine``, built once, hosting piigate's recognizers;
tables analysed by column; paired elements joined to names; individuals counted.

Per segment: the running text goes through the analyzer (in chunks of whole lines, so every
finding gets its line cheaply); blocks of tab-separated lines in it (a pasted spreadsheet, an
HTML table kept as rows) and the segment's tables are analysed by column (``tables``). Paired
elements (a DOB…) are reported only with a person's name from the same record (``prose``).
Every record yields the identity keys of the person it describes; ``individuals`` merges
them across the whole message.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator, Sequence

import structlog
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from spacy.language import Language

from piigate.canonical import Canonicalizer
from piigate.config import DetectionSettings
from piigate.detect import individuals
from piigate.detect.entities import KINDS, PAIRED, describe, identity_key
from piigate.detect.findings import FindingTally
from piigate.detect.names import NameLexicon, NameMention, NerNames, mask_name
from piigate.detect.nlp import NoContextEnhancer, RawTextNlpEngine, load_ner, ner_available
from piigate.detect.prose import Hit, Lines, Paired, pair_names
from piigate.detect.recognizer import KEY
from piigate.detect.registry import LEXICON, NER, build_recognizers, source_enabled
from piigate.detect.tables import RowRecord, RowsMap, TableAnalyzer
from piigate.detect.text_tables import split_tables
from piigate.detect.triggers import TriggerGate
from piigate.errors import DetectionTimeout
from piigate.model import Detection, Finding, Segment, Table

log = structlog.get_logger("piigate.detect")

CHUNK_CHARS = 200_000

__all__ = ["CHUNK_CHARS", "Detector", "describe"]


class Detector:
    def __init__(self, settings: DetectionSettings, *, load_ner_now: bool = True) -> None:
        """``load_ner_now`` False: the NER pipeline is loaded when a name is first needed
        (short-lived commands); the gate loads it here, before the first message."""
        self.settings = settings
        tuning = settings.recognizers
        # The NER pipeline is for person names next to paired elements; loaded once.
        model = settings.spacy_model if source_enabled(tuning, NER) else None
        if model and not ner_available(model):
            log.warning(
                "spaCy model not installed; person names will come from the lexicon only",
                model=model,
            )
            model = None
        self.lexicon = NameLexicon() if source_enabled(tuning, LEXICON) else None
        self._ner_names = NerNames(functools.partial(_load_ner, model)) if model else None
        if load_ner_now and self._ner_names is not None:
            self._ner_names.load()
        self.recognizers = build_recognizers(tuning)
        registry = RecognizerRegistry(
            recognizers=self.recognizers, supported_languages=[settings.language]
        )
        self.entities = sorted({r.ENTITY for r in self.recognizers})
        self.analyzer = AnalyzerEngine(
            registry=registry,
            nlp_engine=RawTextNlpEngine(settings.language),
            supported_languages=[settings.language],
            default_score_threshold=settings.score_threshold,
            context_aware_enhancer=NoContextEnhancer(),
        )
        self.gate = TriggerGate(self.recognizers, self.entities)
        self.tables = TableAnalyzer(self.recognizers, self.lexicon, self._hits)
        # Like the NER pipeline: a short command builds the table only if text needs it.
        self.canonical = Canonicalizer(build_now=load_ner_now)

    def ner(self) -> Language | None:
        """The NER pipeline, loaded now if it was not yet (None: no model, or it is turned off)."""
        return self._ner_names.load() if self._ner_names is not None else None

    @property
    def ner_loaded(self) -> bool:
        """Whether the NER pipeline is in memory (False too when there is none)."""
        return self._ner_names is not None and self._ner_names.loaded

    def detect(self, segments: Sequence[Segment], *, deadline: float | None = None) -> Detection:
        """Findings and individuals of ``segments``. With ``deadline`` (``time.monotonic()``),
        ``DetectionTimeout`` once it has passed: checked between chunks of text, tables and
        thousands of rows, so a scan the gate gave up on does not run on for minutes."""
        clock = Deadline(deadline)
        findings = FindingTally()
        records = individuals.Resolver()
        for segment in segments:
            self._detect_segment(segment, findings, records, clock)
        people, lookup_keys = records.resolve()
        return Detection(
            tuple(findings.kept), people, lookup_keys=lookup_keys, omitted=findings.omitted()
        )

    # -- one segment -------------------------------------------------------------------------

    def _detect_segment(
        self,
        segment: Segment,
        findings: FindingTally,
        records: individuals.Resolver,
        clock: Deadline,
    ) -> None:
        # Detectors read only canonical text (``piigate.canonical``): look-alike digits,
        # dashes and spaces as ASCII, invisible characters gone; lines are unchanged.
        prose, embedded = split_tables(self.canonical(segment.text).text)
        if prose.strip():
            self._detect_prose(segment, prose, findings, records, clock)
        for first_line, table in embedded:
            self._detect_table(
                segment,
                segment.where,
                table,
                first_line=first_line,
                findings=findings,
                records=records,
                clock=clock,
            )
        for table in segment.tables:
            where = f"{segment.where} sheet {table.name}" if table.name else segment.where
            self._detect_table(
                segment,
                where,
                table,
                first_line=1,
                findings=findings,
                records=records,
                clock=clock,
                canonical=self._canonical_rows,
            )

    def _canonical_rows(self, rows: Sequence[tuple[str, ...]]) -> Sequence[tuple[str, ...]]:
        """A batch of a table's rows in canonical text. A row of ASCII cells is kept as it is
        (one check per row instead of one call per cell: most spreadsheets are ASCII)."""
        canonical = self.canonical.text
        return [
            row if "".join(row).isascii() else tuple(canonical(cell) for cell in row)
            for row in rows
        ]

    def _detect_prose(
        self,
        segment: Segment,
        text: str,
        findings: FindingTally,
        records: individuals.Resolver,
        clock: Deadline,
    ) -> None:
        for offset, chunk in _chunks(text):
            clock.check()
            hits = list(self._hits(chunk))
            if not hits:
                continue
            lines = Lines(chunk)
            first_line = text.count("\n", 0, offset) + 1 if offset else 1
            lexicon = self.lexicon.find if self.lexicon is not None else None
            ner = self._ner_names.find if self._ner_names is not None else None
            paired = pair_names(
                chunk,
                lines,
                hits,
                lexicon=lexicon,
                ner=ner,
                ner_max_windows=self.settings.ner_max_windows,
            )
            by_name: dict[NameMention, set[str]] = {}
            for item in paired:
                line = first_line + lines.index(item.hit.start)
                identity = self._emit(segment, item, line, findings)
                if identity is None:
                    continue
                if item.name is None:
                    records.add(frozenset({identity}))
                else:
                    by_name.setdefault(item.name, set()).add(identity)
            for keys in by_name.values():
                records.add(keys)

    def _emit(
        self, segment: Segment, item: Paired, line: int, findings: FindingTally
    ) -> str | None:
        hit = item.hit
        name = item.name.key if item.name is not None else None
        if hit.entity_type in PAIRED and name is None:
            return None
        findings.add(self._finding(segment, segment.where, hit, line=line, name=name))
        return identity_key(hit.entity_type, hit.key, name)

    def _detect_table(
        self,
        segment: Segment,
        where: str,
        table: Table,
        *,
        first_line: int,
        findings: FindingTally,
        records: individuals.Resolver,
        clock: Deadline,
        canonical: RowsMap | None = None,
    ) -> None:
        clock.check()
        labels, rows = self.tables.analyse(table, clock.check, canonical)
        for record in rows:
            keys = self._table_record(
                segment, where, record, labels=labels, first_line=first_line, findings=findings
            )
            if keys:
                records.add(keys)

    def _table_record(
        self,
        segment: Segment,
        where: str,
        record: RowRecord,
        *,
        labels: list[str],
        first_line: int,
        findings: FindingTally,
    ) -> frozenset[str]:
        keys = set()
        for table_hit in record.hits:
            hit = table_hit.hit
            if hit.entity_type in PAIRED and record.name is None:
                continue
            line = first_line + table_hit.row
            column = labels[table_hit.column] if table_hit.column < len(labels) else None
            if findings.keeps(where, column, segment.grade, hit.entity_type):
                findings.add(
                    self._finding(segment, where, hit, line=line, column=column, name=record.name)
                )
            else:
                findings.count(where, column, segment.grade, hit.entity_type)
            keys.add(identity_key(hit.entity_type, hit.key, record.name))
        return frozenset(keys)

    def _finding(
        self,
        segment: Segment,
        where: str,
        hit: Hit,
        *,
        line: int,
        name: str | None,
        column: str | None = None,
    ) -> Finding:
        kind = KINDS[hit.entity_type]
        masked = kind.mask(hit.key)
        key = hit.key
        if kind.paired and name is not None:
            masked = f"{mask_name(name)}, {masked}"
            key = f"{name}|{hit.key}"
        return Finding(
            entity_type=hit.entity_type,
            where=where,
            line=line,
            masked=masked,
            score=hit.score,
            recognizer=hit.recognizer,
            grade=segment.grade,
            column=column,
            key=key,
        )

    def masked_text(self, text: str) -> tuple[str, list[tuple[int, int]]]:
        """``text`` with every value the recognizers find replaced by its masked form (for the
        analysts' preview of a held message), and where the masks are in the result."""
        out: list[str] = []
        marks: list[tuple[int, int]] = []
        length = 0
        for _, chunk in _chunks(text):
            done = 0
            for hit in self._hits(chunk):
                if hit.start < done:
                    continue
                mask = KINDS[hit.entity_type].mask(hit.key)
                out.append(chunk[done : hit.start])
                length += hit.start - done
                out.append(mask)
                marks.append((length, length + len(mask)))
                length += len(mask)
                done = hit.end
            out.append(chunk[done:])
            length += len(chunk) - done
        return "".join(out), marks

    # -- the analyzer ------------------------------------------------------------------------

    def _hits(self, text: str) -> Iterator[Hit]:
        """Analyzer results for ``text`` (at most one chunk), in text order."""
        entities = self.gate.entities(text)
        if not entities:
            return
        results = self.analyzer.analyze(
            text=text, language=self.settings.language, entities=entities
        )
        for result in sorted(results, key=lambda r: (r.start, -r.end)):
            metadata = result.recognition_metadata or {}
            yield Hit(
                entity_type=result.entity_type,
                start=result.start,
                end=result.end,
                key=str(metadata.get(KEY, "")),
                score=float(result.score),
                recognizer=str(metadata.get("recognizer_name", "")),
            )


def _load_ner(model: str) -> Language | None:
    """The installed NER pipeline ``model``; None, said once, when it does not load."""
    nlp = load_ner(model)
    if nlp is None:
        log.warning(
            "spaCy model not installed; person names will come from the lexicon only",
            model=model,
        )
    return nlp


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Yield (offset, chunk) pieces of whole lines, each at most about ``CHUNK_CHARS``."""
    offset = 0
    while offset < len(text):
        end = min(len(text), offset + CHUNK_CHARS)
        if end < len(text):
            cut = text.rfind("\n", offset, end)
            end = cut + 1 if cut > offset else end
        yield offset, text[offset:end]
        offset = end


class Deadline:
    """When one detection pass must stop (``time.monotonic()``; None: never)."""

    __slots__ = ("at",)

    def __init__(self, at: float | None) -> None:
        self.at = at

    def check(self) -> None:
        if self.at is not None and time.monotonic() > self.at:
            raise DetectionTimeout("detection ran out of time (scan.timeout)")

"""The pipeline, top to bottom.

    receive ─▶ parse ─▶ extract ─▶ detect ─▶ decide ─▶ act ─▶ record
               └──────── Screener.screen (CPU only) ──┘   └─ Gate.handle ─┘

``Screener`` is pure computation and serves both the SMTP gate and ``piigate scan``. ``Gate``
runs it with a time limit (in a worker thread, or on the event loop for small all-text mail:
``piigate.scheduling``), then acts on the verdict and records the disclosure. The rule of
the gate: a 250 only when the message was relayed or durably held.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from piigate.config import ExtractionSettings, IsolationSettings, Settings, load_settings
from piigate.decide import Policy, load_rules
from piigate.detect import Detector
from piigate.detect.context import FindingContexts
from piigate.domains import Domains
from piigate.errors import ConfigError, DetectionTimeout, IsolationError
from piigate.extract import extract, with_images
from piigate.extract.isolated import IsolatedReading
from piigate.extract.names import masked_identifiers, place_names, with_names
from piigate.extract.registry import IN_PROCESS_KINDS, READER_MODULES, READERS
from piigate.isolation import WorkerPool
from piigate.model import (
    Defect,
    Detection,
    Disposition,
    Envelope,
    ExposureHistory,
    Extraction,
    Outcome,
    ParsedMessage,
    Screening,
    Segment,
)
from piigate.observe import GateObserver, NullObserver
from piigate.ocr.reader import ImageReader
from piigate.parse import parse_message
from piigate.receive import replies
from piigate.scheduling import LaneBuild, LaneResult, Lanes, screen_within

# The I/O stages (relay, quarantine, ledger) are imported by ``build_gate``: ``piigate scan``
# and ``rules test`` use the Screener alone and never load the SMTP client or the actor.
if TYPE_CHECKING:
    from piigate.act.actor import Actor
    from piigate.act.relay import Relay
    from piigate.quarantine import QuarantineStore
    from piigate.record import Ledger

log = structlog.get_logger("piigate")

EXTRACTION_SHARE = 0.75
"""The part of ``scan.timeout`` that extraction may use before it stops itself."""
DETECTION_SHARE = 0.9
"""The part of ``scan.timeout`` after which detection stops itself (leaving the decision the
rest, so the gate still gets a verdict)."""


class Screener:
    """parse → extract → detect → decide, for one message; no I/O."""

    def __init__(
        self,
        detector: Detector,
        policy: Policy,
        extraction: ExtractionSettings | None = None,
        scan_timeout: float | None = None,
        *,
        isolation: IsolatedReading | None = None,
        images: ImageReader | None = None,
    ) -> None:
        self.detector = detector
        self.policy = policy
        self.extraction = extraction or ExtractionSettings()
        self.scan_timeout = scan_timeout
        """The gate's time limit. Extraction stops itself (a blocking defect, so the message is
        held as unscannable) at three quarters of it, and detection at nine tenths, leaving
        the decision the rest: a message too slow to read is held or refused as unscannable,
        not answered 451 on every retry, and no scan runs on after the gate gave up on it."""
        self.isolation = isolation
        """Reads attachments and documents in the worker pool (shared by every twin)."""
        self.images = images
        """Reads text in images (OCR); None: images are not inspected."""
        self.readers = with_images(images) if images is not None else READERS

    def with_history(self, history: ExposureHistory) -> Screener:
        """The same screener (the detector is shared), deciding with earlier disclosures."""
        twin = copy.copy(self)
        twin.policy = self.policy.with_history(history)
        return twin

    def start_workers(self) -> None:
        """Start the isolated readers' processes now rather than on the first attachment."""
        if self.isolation is not None:
            self.isolation.pool.start()

    def close(self) -> None:
        """Stop the isolated readers' and the OCR processes (started again if the screener is
        used)."""
        if self.isolation is not None:
            self.isolation.pool.close()
        if self.images is not None:
            self.images.close()

    def screen(self, envelope: Envelope, raw: bytes) -> Screening:
        return self.screen_parsed(envelope, parse_message(raw, self.extraction))

    def screen_parsed(self, envelope: Envelope, message: ParsedMessage) -> Screening:
        return self.conclude(envelope, message, *self.examine(message))

    def examine(self, message: ParsedMessage) -> tuple[Extraction, Detection]:
        """extract → detect: CPU only."""
        started = time.monotonic()
        budget = self.scan_timeout * EXTRACTION_SHARE if self.scan_timeout else None
        passwords = self.policy.passwords(message)
        extraction = extract(
            message,
            passwords,
            settings=self.extraction,
            timeout=budget,
            isolation=self.isolation,
            readers=self.readers,
        )
        extraction = with_names(with_subject(extraction, message), message)
        deadline = started + self.scan_timeout * DETECTION_SHARE if self.scan_timeout else None
        try:
            detection = self.detector.detect(extraction.segments, deadline=deadline)
            return extraction, place_names(detection, message)
        except DetectionTimeout as exc:
            stopped = Defect("message", str(exc))
            return replace(extraction, defects=(*extraction.defects, stopped)), Detection(())

    def conclude(
        self,
        envelope: Envelope,
        message: ParsedMessage,
        extraction: Extraction,
        detection: Detection,
    ) -> Screening:
        """decide; reads the ledger's history when ``policy.reads_history(detection)``."""
        message = masked_identifiers(message, detection)
        verdict = self.policy.decide(envelope, message, extraction, detection)
        return Screening(envelope, message, extraction, detection, verdict)


class Gate:
    """Screens a message, then acts on the verdict and records the disclosure."""

    def __init__(
        self,
        *,
        screener: Screener,
        actor: Actor,
        scan_timeout: float,
        observer: GateObserver | None = None,
        inline_max_bytes: int = 0,
        lanes: Lanes | None = None,
    ) -> None:
        """``inline_max_bytes``: small all-text mail is screened on the event loop (see
        ``piigate.scheduling``); 0: every message in a worker thread. ``lanes``: where large
        messages are screened (None: with the rest)."""
        self.screener = screener
        self.actor = actor
        self.scan_timeout = scan_timeout
        self.inline_max_bytes = inline_max_bytes
        self.lanes = lanes
        self.observer = observer or NullObserver()

    @property
    def observer(self) -> GateObserver:
        return self.actor.observer

    @observer.setter
    def observer(self, observer: GateObserver) -> None:
        """The metrics see the whole path: screening here, relay and ledger in the actor."""
        self.actor.observer = observer

    def reload_rules(self, directory: Path) -> bool:
        """Load the rules again (SIGHUP). On any error keep the last good rules and say why."""
        try:
            rules = load_rules(directory)
        except ConfigError as exc:
            log.error("rules reload failed; keeping the last good rules", error=str(exc))
            return False
        self.screener.policy = self.screener.policy.with_rules(rules)
        if self.lanes is not None:
            self.lanes.reload(self.lanes.build.settings.model_copy(update={"rules_dir": directory}))
        log.info("rules reloaded", rules=len(rules.rules), cases=len(rules.cases))
        return True

    def reload_policy(self, config_path: Path | None) -> bool:
        """SIGHUP: the whole policy again — the config's ``policy`` section (sharing agreements,
        tags, routine uses, audit), ``internal_domains``, ``ledger.agencies`` and the rules —
        built aside, then swapped in; on any error the old policy stays whole and the log says
        why (file, line, key). Listeners, keys and stores change only on a restart."""
        try:
            settings = load_settings(config_path)
            rules = load_rules(settings.rules_dir)
        except ConfigError as exc:
            log.error("policy reload failed; keeping the last good policy", error=str(exc))
            return False
        domains = Domains(settings.internal_domains)
        policy = Policy(rules, domains, settings.policy, self.screener.policy.history)
        self.screener.policy = policy  # one assignment: each decision sees the old or the new
        self.actor.domains = domains
        self.actor.policy = settings.policy
        self.actor.ledger.agencies = dict(settings.ledger.agencies)
        if self.lanes is not None:
            self.lanes.reload(settings)
        log.info(
            "policy reloaded",
            rules=len(rules.rules),
            cases=len(rules.cases),
            sharing_agreements=len(settings.policy.sharing_agreements),
        )
        return True

    def start_workers(self) -> None:
        """Start the isolated readers and the large lane's workers now (blocking)."""
        self.screener.start_workers()
        if self.lanes is not None:
            self.lanes.start()

    def close(self) -> None:
        """Close the gate's stores (the ledger and the quarantine's database), any upstream
        connection still pooled, and the OCR workers (started again if an image comes)."""
        self.actor.relay.close_pool_now()
        self.actor.ledger.close()
        self.actor.quarantine.close()
        self.screener.close()
        if self.lanes is not None:
            self.lanes.close()

    @property
    def relay(self) -> Relay:
        return self.actor.relay

    @property
    def ledger(self) -> Ledger:
        return self.actor.ledger

    @property
    def quarantine(self) -> QuarantineStore:
        return self.actor.quarantine

    async def handle(self, envelope: Envelope, raw: bytes) -> Outcome:
        started = time.perf_counter()
        try:
            screening = await screen_within(
                self.screener,
                envelope,
                raw,
                self.scan_timeout,
                self.inline_max_bytes,
                lanes=self.lanes,
            )
        except TimeoutError:
            log.warning("scan timed out", timeout_s=self.scan_timeout, size=len(raw))
            self.observer.scan_timed_out()
            return Outcome(Disposition.TEMPFAILED, replies.SCAN_TIMEOUT)
        except IsolationError as exc:  # the large lane's worker died or ran out of memory
            log.error("large lane worker failed", error=type(exc).__name__, size=len(raw))
            return Outcome(Disposition.TEMPFAILED, replies.TEMPFAIL)
        scanned = time.perf_counter()
        outcome = await self.actor.act(screening, raw)
        verdict = screening.verdict
        self.observer.screened(screening, outcome, scanned - started)
        log.info(
            "message",
            message_id=screening.message.message_id,
            sender=envelope.mail_from,
            recipients=len(envelope.rcpt_tos),
            external=verdict.external,
            verdict=verdict.action.value,
            rules=[v.rule for v in verdict.violations],
            audit_rules=[v.rule for v in verdict.audit_violations],
            pii=screening.detection.counts_by_type(),
            individuals=screening.detection.individual_count,
            disposition=outcome.disposition.value,
            record_id=outcome.record_id,
            quarantine_id=outcome.quarantine_id,
            scan_ms=round((scanned - started) * 1000, 1),
            total_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return outcome


def with_subject(extraction: Extraction, message: ParsedMessage) -> Extraction:
    """The subject line is message text too: an SSN there is as plain as in the body."""
    if not message.subject:
        return extraction
    subject = Segment("subject", message.subject)
    return replace(extraction, segments=(subject, *extraction.segments))


def build_screener(settings: Settings, *, load_ner_now: bool = True) -> Screener:
    """Everything the per-message path needs, built once: rules, recognizers, domains.
    ``load_ner_now`` False (short-lived commands): the NER pipeline loads when first needed."""
    domains = Domains(settings.internal_domains)
    policy = Policy(load_rules(settings.rules_dir), domains, settings.policy)
    return Screener(
        Detector(settings.detection, load_ner_now=load_ner_now),
        policy,
        settings.extraction,
        settings.scan.timeout,
        isolation=isolated_reading(settings.isolation),
        images=ImageReader(settings.ocr),
    )


def isolated_reading(settings: IsolationSettings) -> IsolatedReading | None:
    """The worker pool the readers of files run in (not started yet); None when disabled."""
    if not settings.enabled:
        return None
    pool = WorkerPool(
        settings.workers,
        settings.memory_mb * 1024 * 1024,
        max(settings.file_seconds, settings.program_seconds),
        preload=("piigate.extract.registry", *READER_MODULES),
    )
    return IsolatedReading(
        pool, IN_PROCESS_KINDS, settings.file_seconds, program_seconds=settings.program_seconds
    )


def build_gate(settings: Settings, screener: Screener | None = None) -> Gate:
    """The screener plus the I/O stages: relay, quarantine (needs its key) and ledger."""
    from piigate.act.actor import Actor  # noqa: PLC0415 (the I/O stages: see the top)
    from piigate.act.relay import Relay  # noqa: PLC0415
    from piigate.quarantine import open_quarantine  # noqa: PLC0415
    from piigate.record import ledger_for  # noqa: PLC0415

    ledger = ledger_for(settings)
    ledger.start_indexing()
    # The gate's policy counts earlier disclosures (cumulative exposure) in its own ledger.
    screener = (screener or build_screener(settings)).with_history(ledger)
    actor = Actor(
        relay=Relay.from_settings(settings),
        quarantine=open_quarantine(settings),
        ledger=ledger,
        domains=screener.policy.domains,
        policy=settings.policy,
        rescreen=screener.screen,
        contexts=FindingContexts(screener.detector).of,
    )
    return Gate(
        screener=screener,
        actor=actor,
        scan_timeout=settings.scan.timeout,
        inline_max_bytes=settings.scan.inline_max_bytes,
        lanes=Lanes(settings, screen_in_lane),
    )


_lane_screener: list[tuple[int, Screener]] = []
"""A lane worker's screener and the generation it was built for: state of a lane worker's
process only (``screen_in_lane``), never touched in the gate's."""


def screen_in_lane(build: LaneBuild, envelope: Envelope, raw: bytes, seconds: float) -> LaneResult:
    """A large-lane worker's call (``piigate.scheduling.Lanes``): screen ``raw`` within
    ``seconds`` (0: no limit) with the screener built from ``build.settings`` (built again when
    the gate reloaded); the verdict only when no individuals were found (otherwise the gate
    decides: it reads its ledger's history), and the message without its raw bytes."""
    if not _lane_screener:
        os.nice(build.nice)  # the gate's event loop and small mail first
    if not _lane_screener or _lane_screener[0][0] != build.generation:
        if _lane_screener:
            _lane_screener.pop()[1].close()
        # The NER model loads on the first message that needs it, as in ``piigate scan``.
        _lane_screener.append(
            (build.generation, build_screener(build.settings, load_ner_now=False))
        )
    screener = copy.copy(_lane_screener[0][1])
    screener.scan_timeout = seconds or None
    message = parse_message(raw, screener.extraction)
    extraction, detection = screener.examine(message)
    verdict = None
    if not detection.individuals:
        screening = screener.conclude(envelope, message, extraction, detection)
        message, verdict = screening.message, screening.verdict
    return replace(message, raw=b""), extraction, detection, verdict

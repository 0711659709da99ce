"""The pipeline, top to bottom.

    receive ─▶ parse ─▶ extract ─▶ detect ─▶ decide ─▶ act ─▶ record
               └──────── Screener.screen (CPU only) ──┘   └─ Gate.handle ─┘

``Screener`` is pure computation and serves both the SMTP gate and ``piigate scan``. ``Gate``
runs it off the event loop with a time limit, then acts on the verdict and records the
disclosure. The rule of the gate: a 250 only when the message was relayed or durably held.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import UTC, datetime

import structlog

from piigate.act.quarantine import Quarantine
from piigate.act.relay import Relay, RelayPartialError
from piigate.config import Settings
from piigate.decide import Policy, load_rules
from piigate.detect import Detector
from piigate.domains import Domains
from piigate.errors import LedgerError, QuarantineError, RelayPermanentError, RelayTemporaryError
from piigate.extract import extract
from piigate.keys import quarantine_key
from piigate.model import (
    Action,
    DisclosureRecord,
    Disposition,
    Envelope,
    Outcome,
    ParsedMessage,
    Recipient,
    Screening,
)
from piigate.observe import GateObserver, NullObserver
from piigate.parse import parse_message
from piigate.receive import replies
from piigate.record import Ledger, open_ledger

log = structlog.get_logger("piigate")


class Screener:
    """parse → extract → detect → decide, for one message; no I/O."""

    def __init__(self, detector: Detector, policy: Policy) -> None:
        self.detector = detector
        self.policy = policy

    def screen(self, envelope: Envelope, raw: bytes) -> Screening:
        return self.screen_parsed(envelope, parse_message(raw))

    def screen_parsed(self, envelope: Envelope, message: ParsedMessage) -> Screening:
        extraction = extract(message)
        detection = self.detector.detect(extraction.segments)
        verdict = self.policy.decide(envelope, extraction, detection)
        return Screening(envelope, message, extraction, detection, verdict)


class Gate:
    """Screens a message, then acts on the verdict and records the disclosure."""

    def __init__(
        self,
        *,
        screener: Screener,
        relay: Relay,
        ledger: Ledger,
        quarantine: Quarantine,
        domains: Domains,
        scan_timeout: float,
        observer: GateObserver | None = None,
    ) -> None:
        self.screener = screener
        self.relay = relay
        self.ledger = ledger
        self.quarantine = quarantine
        self.domains = domains
        self.scan_timeout = scan_timeout
        self.observer: GateObserver = observer or NullObserver()

    async def handle(self, envelope: Envelope, raw: bytes) -> Outcome:
        started = time.perf_counter()
        try:
            screening = await asyncio.wait_for(
                asyncio.to_thread(self.screener.screen, envelope, raw), self.scan_timeout
            )
        except TimeoutError:
            log.warning("scan timed out", timeout_s=self.scan_timeout, size=len(raw))
            self.observer.scan_timed_out()
            return Outcome(Disposition.TEMPFAILED, replies.SCAN_TIMEOUT)
        scanned = time.perf_counter()
        outcome = await self._act(screening, raw)
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
            pii=screening.detection.counts_by_type(),
            individuals=screening.detection.individual_count,
            disposition=outcome.disposition.value,
            record_id=outcome.record_id,
            quarantine_id=outcome.quarantine_id,
            scan_ms=round((scanned - started) * 1000, 1),
            total_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return outcome

    async def _act(self, screening: Screening, raw: bytes) -> Outcome:
        action = screening.verdict.action
        if action is Action.REJECT:
            return Outcome(Disposition.REFUSED, replies.refusal(screening.verdict.violations))
        if action in (Action.QUARANTINE, Action.ENCRYPT):
            # The gate cannot encrypt on the sender's behalf yet: hold rather than leak.
            return await self._hold(screening)
        return await self._deliver(screening, raw)

    async def _hold(self, screening: Screening) -> Outcome:
        try:
            held_id = await asyncio.to_thread(self.quarantine.hold, screening)
        except QuarantineError as exc:
            log.error("quarantine failed", error=str(exc))
            return Outcome(Disposition.TEMPFAILED, replies.QUARANTINE_TEMPFAIL)
        return Outcome(Disposition.QUARANTINED, replies.held(held_id), quarantine_id=held_id)

    async def _deliver(self, screening: Screening, raw: bytes) -> Outcome:
        if screening.writes_record:
            try:
                await asyncio.to_thread(self.ledger.check)
            except LedgerError as exc:
                log.error("ledger unavailable", error=str(exc))
                self.observer.ledger_failed()
                return Outcome(Disposition.TEMPFAILED, replies.LEDGER_TEMPFAIL)
        reply = replies.DELIVERED
        try:
            await self.relay.send(screening.envelope, raw)
        except RelayTemporaryError as exc:
            log.warning("upstream temporary failure", error=str(exc))
            self.observer.upstream_failed("temporary")
            return Outcome(Disposition.TEMPFAILED, replies.UPSTREAM_TEMPFAIL)
        except RelayPartialError as exc:
            log.error("upstream refused some recipients", error=str(exc), codes=exc.codes)
            self.observer.upstream_failed("partial")
            reply = replies.PARTIALLY_DELIVERED
        except RelayPermanentError as exc:
            log.warning("upstream refused", error=str(exc))
            self.observer.upstream_failed("permanent")
            return Outcome(Disposition.REFUSED, replies.upstream_refused(exc.code or 554))
        record_id = None
        if screening.writes_record:
            record = self.disclosure_record(screening, raw, outcome="delivered")
            record_id = await asyncio.to_thread(self.ledger.append_or_journal, record)
            if record_id is None:
                log.error("ledger write failed after delivery; record kept in the journal")
                self.observer.ledger_failed()
        return Outcome(Disposition.DELIVERED, reply, record_id=record_id)

    def disclosure_record(self, screening: Screening, raw: bytes, outcome: str) -> DisclosureRecord:
        return DisclosureRecord(
            recorded_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            sender=screening.envelope.mail_from,
            recipients=tuple(
                Recipient(address, self.domains.organization(address))
                for address in screening.verdict.external_recipients
            ),
            pii_counts=screening.detection.counts_by_type(),
            individuals=screening.detection.individual_count,
            message_id=screening.message.message_id,
            sha256=hashlib.sha256(raw).hexdigest(),
            outcome=outcome,
            attachments=screening.extraction.attachments,
        )


def build_screener(settings: Settings) -> Screener:
    """Everything the per-message path needs, built once: rules, recognizers, domains."""
    domains = Domains(settings.internal_domains)
    policy = Policy(load_rules(settings.rules_dir), domains)
    return Screener(Detector(settings.detection), policy)


def build_gate(settings: Settings, screener: Screener | None = None) -> Gate:
    """The screener plus the I/O stages: relay, quarantine (needs its key) and ledger."""
    screener = screener or build_screener(settings)
    return Gate(
        screener=screener,
        relay=Relay.from_settings(settings),
        ledger=open_ledger(settings.ledger.url),
        quarantine=Quarantine(settings.quarantine.dir, quarantine_key(settings)),
        domains=screener.policy.domains,
        scan_timeout=settings.scan.timeout,
    )

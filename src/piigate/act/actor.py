"""act: carry out a verdict, then have the disclosure recorded.

    deliver     relay to every recipient; record the disclosure if PII goes outside
    reject      all recipients external: a 550 that teaches; mixed: tell the sender (a
                notice), deliver to the internal recipients only, answer 250
    quarantine  hold (sealed) for the external recipients, tell the sender, deliver inside
    encrypt     seal the sensitive parts into an AES-256 zip, mail the password to the
                sender, relay the sealed message, record what was seen in clear

The rule of the gate holds on every path: 250 only once the upstream accepted the message
or it is durably held; a fault before that is a 451 so the sending MTA retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from email.message import EmailMessage

import structlog

from piigate.act import notices
from piigate.act.encrypt import seal
from piigate.act.headers import without_header
from piigate.act.relay import Relay, RelayPartialError
from piigate.config import PolicySettings
from piigate.decide.checks import carries_disclaimer
from piigate.domains import Domains
from piigate.errors import (
    LedgerError,
    QuarantineError,
    RelayError,
    RelayPermanentError,
    RelayTemporaryError,
)
from piigate.model import (
    Action,
    Attachment,
    DisclosureRecord,
    Disposition,
    Envelope,
    Finding,
    Grade,
    Outcome,
    Screening,
    Segment,
)
from piigate.observe import GateObserver, NullObserver
from piigate.quarantine import QuarantineStore
from piigate.quarantine.details import Earlier, earlier_disclosures
from piigate.receive import replies
from piigate.record import Ledger, build_record

log = structlog.get_logger("piigate.act")

Rescreen = Callable[[Envelope, bytes], Screening]
Contexts = Callable[[Sequence[Segment], Sequence[Finding]], list[str]]
"""Each finding's masked context (``piigate.detect.context.FindingContexts.of``)."""


@dataclass(frozen=True, slots=True)
class Release:
    """Who released a held message, and why (the disclosure's recorded authority)."""

    analyst: str
    justification: str
    expedited: bool = False


class Actor:
    def __init__(
        self,
        *,
        relay: Relay,
        quarantine: QuarantineStore,
        ledger: Ledger,
        domains: Domains,
        policy: PolicySettings,
        rescreen: Rescreen,
        contexts: Contexts | None = None,
    ) -> None:
        self.relay = relay
        self.quarantine = quarantine
        self.ledger = ledger
        self.domains = domains
        self.policy = policy
        self.rescreen = rescreen
        self.contexts = contexts
        self.observer: GateObserver = NullObserver()

    async def act(self, screening: Screening, raw: bytes) -> Outcome:
        raw = without_header(raw, self.policy.password_header)
        action = screening.verdict.action
        if action is Action.REJECT:
            return await self._refuse(screening, raw)
        if action is Action.QUARANTINE:
            return await self._hold(screening, raw)
        if action is Action.ENCRYPT:
            return await self.encrypt(screening, raw)
        outcome = await self.deliver(screening, raw, screening.envelope.rcpt_tos, "delivered")
        if (
            outcome.disposition is Disposition.DELIVERED
            and screening.verdict.audit_violations
            and self.policy.audit_notify_sender
        ):
            await self._notify_quietly(screening, notices.audit_notice(screening, self._from))
        return outcome

    @property
    def _from(self) -> str:
        return self.policy.notice_from

    async def _refuse(self, screening: Screening, raw: bytes) -> Outcome:
        verdict = screening.verdict
        internal = verdict.internal_recipients
        if not internal or not screening.envelope.mail_from:
            if self.policy.refusal_notice and screening.envelope.mail_from:
                return await self._refuse_by_notice(screening)
            return Outcome(Disposition.REFUSED, replies.refusal(verdict.violations))
        notice = notices.refusal_notice(screening, verdict.external_recipients, self._from)
        try:
            await self._notify(screening, notice)
        except RelayError as exc:
            log.warning("refusal notice not sent", error=str(exc))
            return Outcome(Disposition.TEMPFAILED, replies.UPSTREAM_TEMPFAIL)
        outcome = await self.deliver(screening, raw, internal, "delivered", record=False)
        if outcome.disposition is not Disposition.DELIVERED:
            return outcome
        return Outcome(
            Disposition.DELIVERED, replies.internal_only(len(verdict.external_recipients))
        )

    async def _refuse_by_notice(self, screening: Screening) -> Outcome:
        """``policy.refusal_notice``: the sender gets the teaching text as a DSN and the client a
        250 (nothing relayed); if the notice cannot be sent, 451 so the client retries."""
        verdict = screening.verdict
        diagnostic = replies.refusal(verdict.violations[:1]).replace("\r\n", " ")
        notice = notices.refusal_report(
            screening, verdict.external_recipients, diagnostic, self._from
        )
        try:
            await self._notify(screening, notice)
        except RelayError as exc:
            log.warning("refusal notice not sent", error=str(exc))
            return Outcome(Disposition.TEMPFAILED, replies.UPSTREAM_TEMPFAIL)
        return Outcome(Disposition.REFUSED, replies.REFUSED_BY_NOTICE)

    async def _hold(self, screening: Screening, raw: bytes) -> Outcome:
        verdict = screening.verdict
        held = replace(
            screening, envelope=replace(screening.envelope, rcpt_tos=verdict.external_recipients)
        )
        try:
            organizations = [self.domains.organization(r) for r in verdict.external_recipients]
            earlier = await asyncio.to_thread(self._earlier, screening)
            contexts = await asyncio.to_thread(self._contexts, screening)
            held_id = await asyncio.to_thread(
                self.quarantine.hold, held, raw, organizations, earlier, contexts
            )
        except QuarantineError as exc:
            log.error("quarantine failed", error=str(exc))
            return Outcome(Disposition.TEMPFAILED, replies.QUARANTINE_TEMPFAIL)
        if screening.envelope.mail_from:
            await self._notify_quietly(screening, notices.held_notice(held, held_id, self._from))
        if verdict.internal_recipients:
            # Held first (durable), then the internal copy: a retry after a failure here may
            # hold a second copy, but never loses the internal one.
            inside = await self.deliver(
                screening, raw, verdict.internal_recipients, "delivered", record=False
            )
            if inside.disposition is not Disposition.DELIVERED:
                return inside
        return Outcome(Disposition.QUARANTINED, replies.held(held_id), quarantine_id=held_id)

    def _contexts(self, screening: Screening) -> list[str]:
        """Each finding's masked context for the analysts' page; none when it cannot be made
        (the message is held all the same: the page then shows the masks alone)."""
        if self.contexts is None:
            return []
        try:
            return self.contexts(screening.extraction.segments, screening.detection.findings)
        except Exception as exc:
            log.warning("finding contexts not made", error=type(exc).__name__)
            return []

    def _earlier(self, screening: Screening) -> Earlier | None:
        """What the ledger knows of these individuals, for the analysts' page; None when it
        cannot say (the message is held all the same)."""
        try:
            return earlier_disclosures(self.ledger, screening.detection.individuals)
        except LedgerError as exc:
            log.warning("earlier disclosures unknown for a held message", error=str(exc))
            return None

    async def encrypt(
        self, screening: Screening, raw: bytes, release: Release | None = None
    ) -> Outcome:
        """Seal, mail the password to the sender, relay, record (see ``act.encrypt``)."""
        if not screening.envelope.mail_from:
            return await self._hold(screening, raw)  # nobody to give the password to
        sealed = seal(screening, self.policy.disclaimer, self.policy.encrypt_tag)
        check = await asyncio.to_thread(self.rescreen, screening.envelope, sealed.content)
        if any(f.grade is Grade.PLAINTEXT for f in check.detection.findings):
            log.error("sealed message still carries plaintext PII; holding instead")
            return await self._hold(screening, raw)
        notice = notices.password_notice(
            screening, sealed.archive_name, sealed.password, self._from
        )
        try:
            await self._check_ledger(screening.verdict.disclosure)
            await self._notify(screening, notice)
        except LedgerError:
            return Outcome(Disposition.TEMPFAILED, replies.LEDGER_TEMPFAIL)
        except RelayError as exc:
            log.warning("password notice not sent", error=str(exc))
            return Outcome(Disposition.TEMPFAILED, replies.UPSTREAM_TEMPFAIL)
        built = [a for a in check.extraction.attachments if a.name == sealed.archive_name]
        return await self.deliver(
            screening,
            sealed.content,
            screening.envelope.rcpt_tos,
            "released" if release else "encrypted",
            record=screening.verdict.disclosure,
            release=release,
            sealed=(built[0] if built else None, sealed.moved),
        )

    async def deliver(
        self,
        screening: Screening,
        content: bytes,
        recipients: Sequence[str],
        outcome: str,
        *,
        record: bool | None = None,
        release: Release | None = None,
        sealed: tuple[Attachment | None, tuple[str, ...]] = (None, ()),
    ) -> Outcome:
        """Relay ``content`` to ``recipients``; record the disclosure when it takes sensitive
        PII outside (``record`` overrides the verdict's say, e.g. for a release)."""
        wanted = screening.writes_record if record is None else record
        records = wanted and any(r in screening.verdict.external_recipients for r in recipients)
        intent: tuple[DisclosureRecord, str] | None = None
        if records:
            try:
                # Written before the relay: a gate killed before the record commits leaves
                # the intent, which becomes an unconfirmed record (see record.intents).
                intent = await self._intend(screening, content, outcome, release, sealed)
            except LedgerError as exc:
                log.error("ledger unavailable", error=str(exc))
                self.observer.ledger_failed()
                return Outcome(Disposition.TEMPFAILED, replies.LEDGER_TEMPFAIL)
        reply = replies.DELIVERED
        try:
            await self.relay.send(replace(screening.envelope, rcpt_tos=tuple(recipients)), content)
        except RelayTemporaryError as exc:
            log.warning("upstream temporary failure", error=str(exc))
            self.observer.upstream_failed("temporary")
            await self._abandon(intent)
            return Outcome(Disposition.TEMPFAILED, replies.UPSTREAM_TEMPFAIL)
        except RelayPartialError as exc:
            log.error("upstream refused some recipients", error=str(exc), codes=exc.codes)
            self.observer.upstream_failed("partial")
            reply = replies.PARTIALLY_DELIVERED
        except RelayPermanentError as exc:
            log.warning("upstream refused", error=str(exc))
            self.observer.upstream_failed("permanent")
            await self._abandon(intent)
            return Outcome(Disposition.REFUSED, replies.upstream_refused(exc.code or 554))
        record_id = None
        if intent is not None:
            record_id = await asyncio.to_thread(self.ledger.append_or_journal, *intent)
            if record_id is None:
                log.error("ledger write failed after delivery; record kept in the journal")
                self.observer.ledger_failed()
        return Outcome(Disposition.DELIVERED, reply, record_id=record_id)

    async def _intend(
        self,
        screening: Screening,
        content: bytes,
        outcome: str,
        release: Release | None,
        sealed: tuple[Attachment | None, tuple[str, ...]],
    ) -> tuple[DisclosureRecord, str]:
        """The record of this delivery, and the intent written for it."""
        await asyncio.to_thread(self.ledger.check)  # reconnects after an outage
        entry = build_record(
            screening,
            content,
            outcome=outcome,
            domains=self.domains,
            ledger=self.ledger,
            released_by=release.analyst if release else None,
            release_reason=release.justification if release else None,
            expedited=release.expedited if release else False,
            sealed=sealed[0],
            sealed_parts=sealed[1],
            disclaimer=carries_disclaimer(screening.extraction, self.policy.disclaimer),
        )
        return entry, await asyncio.to_thread(self.ledger.intend, entry)

    async def _abandon(self, intent: tuple[DisclosureRecord, str] | None) -> None:
        """Nothing was delivered: drop the intent (if that fails, it becomes an unconfirmed
        record at the next start: the accounting errs toward a disclosure)."""
        if intent is None:
            return
        try:
            await asyncio.to_thread(self.ledger.abandon, intent[1])
        except LedgerError as exc:
            log.warning("ledger intent not removed", error=str(exc))

    async def _check_ledger(self, needed: bool) -> None:
        if not needed:
            return
        try:
            await asyncio.to_thread(self.ledger.check)
        except LedgerError as exc:
            log.error("ledger unavailable", error=str(exc))
            self.observer.ledger_failed()
            raise

    async def _notify(self, screening: Screening, message: EmailMessage) -> None:
        sender = screening.envelope.mail_from
        await self.relay.send(Envelope("", (sender,)), notices.as_bytes(message))

    async def _notify_quietly(self, screening: Screening, message: EmailMessage) -> None:
        """A notice whose loss loses no mail (the message is delivered or durably held)."""
        try:
            await self._notify(screening, message)
        except RelayError as exc:
            log.warning("notice to sender not sent", error=str(exc))

"""What privacy analysts do with held mail, and what the gate does for them.

release   claim (held → releasing), screen the sealed message again, relay it to the held
          recipients — sealed into an AES-256 zip first when the sender asked for [ENCRYPT]
          — record the disclosure naming the analyst and the justification, then released;
          if the relay fails the message goes back to held and nothing is recorded
reject    held → rejected; the sender is told the analyst's reason
expire    held longer than quarantine.max_age_days → expired; the sender is told
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import structlog

from piigate.act import notices
from piigate.act.actor import Actor, Release
from piigate.errors import QuarantineError, RelayError
from piigate.model import Action, Disposition, Envelope, Outcome
from piigate.pipeline import Screener
from piigate.quarantine.store import HeldMessage, QuarantineStore, State

log = structlog.get_logger("piigate.quarantine")

SYSTEM = "piigate"


class Review:
    def __init__(
        self, store: QuarantineStore, actor: Actor, screener: Screener, max_age: timedelta
    ) -> None:
        self.store = store
        self.actor = actor
        self.screener = screener
        self.max_age = max_age

    async def release(
        self, held_id: str, analyst: str, justification: str, *, expedited: bool = False
    ) -> Outcome:
        if not justification.strip():
            raise QuarantineError("a release needs a justification")
        if not self.store.transition(held_id, State.RELEASING, actor=analyst, reason=justification):
            raise QuarantineError(f"quarantine {held_id}: not held (already decided)")
        try:
            release = Release(analyst, justification, expedited)
            outcome = await self._relay(self.store.get(held_id), release)
        except Exception:
            self._undo(held_id, analyst)
            raise
        if outcome.disposition is not Disposition.DELIVERED:
            self._undo(held_id, analyst)
            raise QuarantineError(f"quarantine {held_id}: release failed: {outcome.reply[:3]}")
        self.store.transition(
            held_id,
            State.RELEASED,
            actor=analyst,
            reason=justification,
            expected=State.RELEASING,
            expedited=expedited,
        )
        log.info(
            "released",
            held_id=held_id,
            analyst=analyst,
            expedited=expedited,
            record_id=outcome.record_id,
        )
        return outcome

    async def _relay(self, held: HeldMessage, release: Release) -> Outcome:
        raw = await asyncio.to_thread(self.store.open, held.id)
        envelope = Envelope(held.mail_from, held.rcpt_tos)
        screening = await asyncio.to_thread(self.screener.screen, envelope, raw)
        if any(v.action is Action.ENCRYPT for v in screening.verdict.violations):
            return await self.actor.encrypt(screening, raw, release)
        # Content the gate could not read, released outside, may be a disclosure: recorded.
        unread = bool(screening.extraction.unscannable) or any(
            not a.inspected for a in screening.extraction.attachments
        )
        return await self.actor.deliver(
            screening,
            raw,
            held.rcpt_tos,
            "released",
            record=screening.verdict.disclosure or (unread and screening.verdict.external),
            release=release,
        )

    def _undo(self, held_id: str, analyst: str) -> None:
        self.store.transition(
            held_id, State.HELD, actor=analyst, reason="release failed", expected=State.RELEASING
        )

    async def reject(self, held_id: str, analyst: str, reason: str) -> None:
        if not reason.strip():
            raise QuarantineError("a rejection needs a reason")
        if not self.store.transition(held_id, State.REJECTED, actor=analyst, reason=reason):
            raise QuarantineError(f"quarantine {held_id}: not held (already decided)")
        log.info("rejected", held_id=held_id, analyst=analyst)
        await self._tell_sender(self.store.get(held_id), f"rejected by {analyst}", reason)

    async def expire_due(self, now: datetime | None = None) -> list[str]:
        now = now or datetime.now(UTC)
        expired = []
        for held in self.store.messages(State.HELD):
            if held.age(now) <= self.max_age:
                continue
            reason = f"held longer than {self.max_age.days} days without a decision"
            if self.store.transition(held.id, State.EXPIRED, actor=SYSTEM, reason=reason):
                expired.append(held.id)
                await self._tell_sender(held, "expired", reason)
        return expired

    async def _tell_sender(self, held: HeldMessage, what: str, reason: str) -> None:
        if not held.mail_from:
            return
        notice = notices.decision_notice(held, what, reason, self.actor.policy.notice_from)
        try:
            await self.actor.relay.send(Envelope("", (held.mail_from,)), notices.as_bytes(notice))
        except RelayError as exc:
            log.warning("notice to sender not sent", held_id=held.id, error=str(exc))

"""What privacy analysts do with held mail, and what the gate does for them.

release   claim (held → releasing), screen the sealed message again, relay it to the held
          recipients — sealed into an AES-256 zip first when the sender asked for [ENCRYPT]
          — record the disclosure naming the analyst and the justification, then released;
          if the relay fails the message goes back to held and nothing is recorded
reject    held → rejected; the sender is told the analyst's reason
expire    held longer than quarantine.max_age_days → expired; the sender is told
note      an analyst's note on the message's history (no state change)
bulk      release or reject several messages with one justification, each one audited

Every notice mailed to the sender is a line of the message's history too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
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
        self,
        held_id: str,
        analyst: str,
        justification: str,
        *,
        expedited: bool = False,
        encrypt: bool = False,
    ) -> Outcome:
        """``encrypt``: seal the sensitive parts into an AES-256 zip even when the sender did
        not ask for it (the password goes to the sender)."""
        if not justification.strip():
            raise QuarantineError("a release needs a justification")
        if not self.store.transition(held_id, State.RELEASING, actor=analyst, reason=justification):
            raise QuarantineError(f"quarantine {held_id}: not held (already decided)")
        try:
            held = self.store.get(held_id)
            release = Release(analyst, justification, expedited)
            outcome = await self._relay(held, release, encrypt=encrypt)
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
        await self._tell_sender(held, "released", analyst, justification)
        return outcome

    async def _relay(self, held: HeldMessage, release: Release, *, encrypt: bool) -> Outcome:
        raw = await asyncio.to_thread(self.store.open, held.id)
        envelope = Envelope(held.mail_from, held.rcpt_tos)
        screening = await asyncio.to_thread(self.screener.screen, envelope, raw)
        if encrypt or any(v.action is Action.ENCRYPT for v in screening.verdict.violations):
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
        await self._tell_sender(self.store.get(held_id), "rejected", analyst, reason)

    def note(self, held_id: str, analyst: str, text: str) -> None:
        if not text.strip():
            raise QuarantineError("a note needs some text")
        self.store.get(held_id)  # a note on a message that does not exist is an error
        self.store.add_note(held_id, analyst, "note", text.strip())
        log.info("note added", held_id=held_id, analyst=analyst)

    async def bulk(
        self, held_ids: Sequence[str], analyst: str, action: str, text: str
    ) -> list[BulkResult]:
        """Release or reject each message in turn with the same justification; one message
        failing (already decided, relay down) does not stop the others."""
        if action not in ("release", "reject"):
            raise QuarantineError(f"unknown bulk action {action!r}")
        if not text.strip():
            raise QuarantineError(f"a bulk {action} needs a justification")
        results = []
        for held_id in dict.fromkeys(held_ids):
            try:
                if action == "release":
                    await self.release(held_id, analyst, text)
                else:
                    await self.reject(held_id, analyst, text)
            except (QuarantineError, RelayError) as exc:
                results.append(BulkResult(held_id, False, str(exc)))
            else:
                results.append(BulkResult(held_id, True, ""))
        log.info("bulk decision", analyst=analyst, action=action, count=len(results))
        return results

    async def expire_due(self, now: datetime | None = None) -> list[str]:
        now = now or datetime.now(UTC)
        expired = []
        for held in self.store.messages(State.HELD):
            if held.age(now) <= self.max_age:
                continue
            reason = f"held longer than {self.max_age.days} days without a decision"
            if self.store.transition(held.id, State.EXPIRED, actor=SYSTEM, reason=reason):
                expired.append(held.id)
                await self._tell_sender(held, "expired", SYSTEM, reason)
        return expired

    async def _tell_sender(self, held: HeldMessage, decision: str, actor: str, reason: str) -> None:
        """Mail the sender the decision (a notice whose loss loses no mail) and write it in
        the message's history."""
        if not held.mail_from:
            return
        details = self.store.details(held.id)
        notice = notices.decision_notice(
            held, details.sent_date, decision, reason, self.actor.policy.notice_from
        )
        try:
            await self.actor.relay.send(Envelope("", (held.mail_from,)), notices.as_bytes(notice))
        except RelayError as exc:
            log.warning("notice to sender not sent", held_id=held.id, error=str(exc))
            self.store.add_note(held.id, actor, "notice", f"notice of {decision} NOT sent")
            return
        self.store.add_note(held.id, actor, "notice", f"notice of {decision} sent to the sender")


@dataclass(frozen=True, slots=True)
class BulkResult:
    held_id: str
    done: bool
    error: str

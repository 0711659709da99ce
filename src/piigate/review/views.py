"""What the message page shows, worked out from the held message's masked metadata: the
recipients with their organisation, agency, agreement and whether each is internal; findings
grouped by kind and place; attachments with one status each (never "nothing found" beside
an archive nobody could open); the history, and what happened after a decision.

Data only; ``templates/message.html`` draws it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from piigate.config import SharingAgreement
from piigate.decide import Policy
from piigate.domains import Domains
from piigate.errors import QuarantineError
from piigate.quarantine.details import Details, Note
from piigate.quarantine.review import Review
from piigate.quarantine.store import Event, HeldMessage, State
from piigate.review.preview import Preview, build_preview

log = structlog.get_logger("piigate.review")

SHOWN_PER_GROUP = 5
"""Findings shown in each group before "show N more"."""

GRADE_WORDS = {
    "encrypted-strong": "encrypted (AES-256), no password",
    "encrypted-weak": "weakly encrypted (legacy ZipCrypto/RC4), no password",
    "unreadable": "could not be read",
    "plaintext": "could not be read",
}


@dataclass(frozen=True, slots=True)
class RecipientRow:
    address: str
    organization: str
    agency: str
    agreement: str
    internal: bool


@dataclass(frozen=True, slots=True)
class FindingGroup:
    kind: str
    where: str
    shown: list[dict[str, Any]]
    hidden: list[dict[str, Any]]
    counted: int = 0
    """Findings of this kind and place found beyond those listed (counted, not kept)."""

    @property
    def listed(self) -> int:
        return len(self.shown) + len(self.hidden)

    @property
    def count(self) -> int:
        """Every finding of this kind and place, listed or only counted."""
        return self.listed + self.counted


@dataclass(frozen=True, slots=True)
class AttachmentRow:
    name: str
    content_type: str
    size: int
    grade: str
    inspected: bool
    status: str


@dataclass(frozen=True, slots=True)
class HistoryLine:
    at: str
    actor: str
    what: str


@dataclass(frozen=True, slots=True)
class Directory:
    """Who a recipient is, from the policy in force (reloaded with it)."""

    domains: Domains
    agreements: Mapping[str, SharingAgreement]
    agencies: Mapping[str, str]

    def recipients(self, held: HeldMessage, details: Details) -> list[RecipientRow]:
        rows = [self._row(r, internal=False) for r in held.rcpt_tos]
        rows += [self._row(r, internal=True) for r in details.internal_recipients]
        return rows

    def _row(self, address: str, *, internal: bool) -> RecipientRow:
        organization = self.domains.organization(address)
        agreement = self.agreements.get(organization)
        agency = self.agencies.get(organization) or (agreement.agency if agreement else "")
        if internal:
            covered = "internal: none needed"
        elif agreement is not None:
            covered = f"in place ({agreement.agreement or 'no id'})"
        else:
            covered = "none"
        return RecipientRow(address, organization, agency or "unknown", covered, internal)


def directory_of(review: Review) -> Directory:
    """Who the recipients are, by the policy in force."""
    policy = review.screener.policy
    return Directory(policy.domains, policy.agreements, review.actor.ledger.agencies)


def exposure_limit(policy: Policy) -> int | None:
    """The cumulative-exposure rule's limit in ``policy``, if it has one."""
    limits = [
        int(rule.params["max_organizations"])
        for rule in policy.rules.rules
        if rule.when == "cumulative-exposure" and rule.enabled
    ]
    return min(limits) if limits else None


def preview_of(review: Review, held_id: str) -> Preview | None:
    """The masked, sanitised preview; None when the sealed message cannot be read."""
    try:
        raw = review.store.open(held_id)
    except QuarantineError as exc:
        log.warning("no preview", held_id=held_id, error=str(exc))
        return None
    return build_preview(raw, review.screener.detector)


def finding_groups(
    findings: Sequence[dict[str, Any]], counted: Mapping[tuple[str, str], int] | None = None
) -> list[FindingGroup]:
    """By kind and place, biggest group first; the first few of each shown. ``counted``: the
    findings of each kind and place found beyond those listed (``Details.omitted_by``)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for finding in findings:
        groups.setdefault((str(finding["type"]), str(finding["where"])), []).append(finding)
    built = [
        FindingGroup(
            kind,
            where,
            items[:SHOWN_PER_GROUP],
            items[SHOWN_PER_GROUP:],
            (counted or {}).get((kind, where), 0),
        )
        for (kind, where), items in groups.items()
    ]
    return sorted(built, key=lambda group: (-group.count, group.kind, group.where))


def attachment_rows(attachments: Sequence[dict[str, Any]]) -> list[AttachmentRow]:
    return [
        AttachmentRow(
            name=str(a["name"]),
            content_type=str(a["content_type"]),
            size=int(a["size"]),
            grade=str(a["grade"]),
            inspected=bool(a["inspected"]),
            status="inspected"
            if a["inspected"]
            else f"not inspected ({GRADE_WORDS.get(str(a['grade']), 'could not be read')})",
        )
        for a in attachments
    ]


def findings_summary(held: HeldMessage, omitted: int = 0) -> str:
    """One sentence that never contradicts the attachments' statuses; ``omitted``: findings
    found beyond those the page lists (``Details.omitted``)."""
    uninspected = [a for a in held.attachments if not a["inspected"]]
    if held.findings:
        found = f"{len(held.findings) + omitted:,} findings of sensitive PII"
        if omitted:
            found += f" ({len(held.findings):,} listed, {omitted:,} more counted)"
    else:
        found = "No sensitive PII found in the parts that could be read"
    if uninspected:
        return f"{found}; {len(uninspected)} attachment(s) not inspected (see Attachments)."
    return f"{found}."


def history(held: HeldMessage, events: Sequence[Event], notes: Sequence[Note]) -> list[HistoryLine]:
    lines = [HistoryLine(held.held_at, "piigate", f"held: {', '.join(held.rules) or 'no rule'}")]
    for event in events:
        how = " (expedited)" if event.expedited else ""
        lines.append(
            HistoryLine(event.at, event.actor, f"{event.to_state.value}{how}: {event.reason}")
        )
    for note in notes:
        label = {"view": "viewed", "note": "note", "notice": "notice"}.get(note.kind, note.kind)
        lines.append(
            HistoryLine(note.at, note.actor, f"{label}: {note.text}" if note.text else label)
        )
    return sorted(lines, key=lambda line: line.at)


def what_happened(held: HeldMessage, notes: Sequence[Note]) -> str | None:
    """After a decision: what the gate did, in a sentence (None while held)."""
    if held.state in (State.HELD, State.RELEASING):
        return None
    sent = any(n.kind == "notice" and "NOT sent" not in n.text for n in notes)
    told = "a notice was sent to the sender" if sent else "no notice could be sent to the sender"
    if held.state is State.RELEASED:
        count = len(held.rcpt_tos)
        return f"Released to {count} recipient{'s' if count != 1 else ''}; {told}."
    if held.state is State.REJECTED:
        return f"Rejected: not sent to anyone; {told} with the reason."
    return f"Expired without a decision: not sent; {told}."

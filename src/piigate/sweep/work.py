"""The work of one partition, in a worker: every archived message through the gate's own
``Screener`` (parse → extract → detect → decide, the very functions the gate runs), kept as
a small result with masked findings only.

The individuals' identity keys travel back to the client only when the sweep records
(``with_identities``): the client alone holds the ledger key and hashes them, and they are
never logged or written anywhere else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Any

import structlog

from piigate.model import Attachment, Envelope, ParsedMessage, Screening
from piigate.parse import parse_message
from piigate.pipeline import Screener
from piigate.record.identity import Identities
from piigate.sweep.sources import ArchivedMessage, Partition, SourceProblem, read_partition

log = structlog.get_logger("piigate.sweep")


class Skipped(Enum):
    FILTERED = "left out by --since, --until or --sender"
    INTERNAL = "no recipient outside the agency"


@dataclass(frozen=True, slots=True)
class Filters:
    """Which archived messages to sweep: sent between ``since`` and ``until`` (the message's
    own Date, UTC), by one of ``senders`` (none: anyone)."""

    since: datetime | None = None
    until: datetime | None = None
    senders: frozenset[str] = frozenset()
    with_identities: bool = False
    count_key: bytes = field(default=b"", repr=False)
    """This sweep's random key for ``SweptMessage.individual_digests`` (empty: none)."""

    def admits(self, sent: datetime | None, sender: str) -> bool:
        if self.senders and sender.lower() not in self.senders:
            return False
        if sent is None:
            return self.since is None and self.until is None
        return (self.since is None or sent >= self.since) and (
            self.until is None or sent < self.until
        )


@dataclass(frozen=True, slots=True)
class SweptMessage:
    """What the gate would have said about one external archived message (no PII value)."""

    location: str
    source: str
    message_id: str
    sent: str
    sender: str
    recipients: tuple[str, ...]
    recipient_organizations: tuple[str, ...]
    """Each external recipient's organisation, in the order of ``recipients``."""
    action: str
    rules: tuple[str, ...]
    findings: tuple[dict[str, Any], ...]
    pii_counts: dict[str, int]
    individuals: int
    disclosure: bool
    sha256: str
    """SHA-256 of the message in wire form (CRLF line ends), as the gate hashes what it relays."""
    stored_sha256: str
    """SHA-256 of the bytes as stored in the archive."""
    attachments: tuple[Attachment, ...] = ()
    uninspected: tuple[str, ...] = ()
    purpose: str | None = None
    sharing_agreement: str | None = None
    case_id: str | None = None
    individual_digests: tuple[str, ...] = field(default=(), repr=False)
    """The individuals keyed with this sweep's own random key: counted across messages
    without their identity keys leaving the worker."""
    identities: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def organizations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.recipient_organizations))


@dataclass(slots=True)
class PartitionResult:
    """A partition's external messages, the problems met, and how many messages it held."""

    partition: Partition
    messages: list[SweptMessage] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    seen: int = 0
    skipped: int = 0
    internal: int = 0


def sweep_partition(screener: Screener, partition: Partition, filters: Filters) -> PartitionResult:
    """Every message of ``partition``; one bad message is a problem, never the end."""
    result = PartitionResult(partition)
    for item in read_partition(partition):
        if isinstance(item, SourceProblem):
            result.problems.append(item)
            continue
        result.seen += 1
        try:
            swept = sweep_message(screener, item, partition.source, filters)
        except Exception as exc:  # one message never stops the sweep
            log.warning("archived message not screened", error_type=type(exc).__name__)
            result.problems.append(SourceProblem(item.location, _failure(exc)))
            continue
        if swept is Skipped.FILTERED:
            result.skipped += 1
        elif swept is Skipped.INTERNAL:
            result.internal += 1
        else:
            result.messages.append(swept)
    return result


def sweep_message(
    screener: Screener, archived: ArchivedMessage, source: str, filters: Filters
) -> SweptMessage | Skipped:
    """The gate's verdict on one external archived message."""
    message = parse_message(archived.raw, screener.extraction)
    sender = next(iter(message.header_from), "")
    sent = sent_at(message)
    if not filters.admits(sent, sender):
        return Skipped.FILTERED
    envelope = Envelope(sender, message.header_recipients)
    screening = screener.screen_parsed(envelope, message)
    if not screening.verdict.external:
        return Skipped.INTERNAL
    return _swept(screener, archived, source, screening, filters)


def _swept(
    screener: Screener,
    archived: ArchivedMessage,
    source: str,
    screening: Screening,
    filters: Filters,
) -> SweptMessage:
    verdict, detection = screening.verdict, screening.detection
    domains = screener.policy.domains
    recipients = verdict.external_recipients
    sent = sent_at(screening.message)
    return SweptMessage(
        location=archived.location,
        source=source,
        message_id=screening.message.message_id,
        sent=sent.isoformat() if sent else "",
        sender=screening.envelope.mail_from,
        recipients=recipients,
        recipient_organizations=tuple(domains.organization(r) for r in recipients),
        action=verdict.action.value,
        rules=tuple(v.rule for v in verdict.violations),
        findings=tuple(f.public() for f in detection.findings),
        pii_counts=detection.counts_by_type(),
        individuals=detection.individual_count,
        disclosure=verdict.disclosure,
        sha256=hashlib.sha256(wire_form(archived.raw)).hexdigest(),
        stored_sha256=hashlib.sha256(archived.raw).hexdigest(),
        attachments=screening.extraction.attachments,
        uninspected=tuple(dict.fromkeys(d.where for d in screening.extraction.unscannable)),
        purpose=verdict.purpose,
        sharing_agreement=verdict.sharing_agreement,
        case_id=verdict.case_id,
        individual_digests=_digests(detection.individuals, filters.count_key),
        identities=frozenset(detection.individuals) if filters.with_identities else frozenset(),
    )


def _digests(individuals: AbstractSet[str], key: bytes) -> tuple[str, ...]:
    return Identities(key).hash_all(individuals) if key and individuals else ()


def sent_at(message: ParsedMessage) -> datetime | None:
    """The message's own Date header, in UTC; None when absent or unreadable."""
    value = message.header("Date")
    if not value:
        return None
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return sent.astimezone(UTC) if sent.tzinfo else sent.replace(tzinfo=UTC)


def wire_form(raw: bytes) -> bytes:
    """The message with CRLF line ends, as SMTP carries it (an mbox or Maildir stores LF)."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _failure(exc: Exception) -> str:
    """A reason naming the error's kind only: its text may quote the message."""
    return f"not screened ({type(exc).__name__})"

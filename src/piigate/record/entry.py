"""What the gate knows about a disclosure, as a Privacy Act accounting (5 U.S.C. 552a(c),
DHS Form 191): built from the screening and the bytes relayed, holding no raw PII value."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from piigate.domains import Domains
from piigate.errors import LedgerError
from piigate.model import DisclosureRecord, Recipient, Screening
from piigate.record.ledger import Ledger

OUTCOMES = ("delivered", "released", "encrypted")
"""Delivered as the rules allowed; released from quarantine by an analyst; encrypted by the
gate before delivery."""


def build_record(
    screening: Screening,
    relayed: bytes,
    *,
    outcome: str,
    domains: Domains,
    ledger: Ledger,
    released_by: str | None = None,
    release_reason: str | None = None,
) -> DisclosureRecord:
    """The record of one disclosure. ``relayed`` is the message as it left the gate (after
    the gate's own encryption, if any); the individuals go in as keyed hashes only."""
    if outcome not in OUTCOMES:
        raise LedgerError(f"unknown disclosure outcome {outcome!r}")
    if outcome == "released" and not released_by:
        raise LedgerError("a release from quarantine must name who released it")
    individual_hashes: tuple[str, ...] = ()
    if screening.detection.individuals:
        if ledger.identities is None:
            raise LedgerError("the ledger key is needed to record individuals")
        individual_hashes = ledger.identities.hash_all(screening.detection.individuals)
    verdict = screening.verdict
    return DisclosureRecord(
        recorded_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
        sender=screening.envelope.mail_from,
        recipients=_recipients(verdict.external_recipients, domains, ledger),
        pii_counts=screening.detection.counts_by_type(),
        individuals=screening.detection.individual_count,
        message_id=screening.message.message_id,
        sha256=hashlib.sha256(relayed).hexdigest(),
        outcome=outcome,
        attachments=screening.extraction.attachments,
        purpose=verdict.purpose,
        sharing_agreement=verdict.sharing_agreement,
        case_id=verdict.case_id,
        released_by=released_by,
        release_reason=release_reason,
        uninspected=tuple(dict.fromkeys(d.where for d in screening.extraction.unscannable)),
        individual_hashes=individual_hashes,
    )


def _recipients(
    addresses: tuple[str, ...], domains: Domains, ledger: Ledger
) -> tuple[Recipient, ...]:
    """Each external recipient with its organisation and, where configured, agency name."""
    out = []
    for address in addresses:
        organization = domains.organization(address)
        out.append(Recipient(address, organization, ledger.agencies.get(organization)))
    return tuple(out)

"""What the gate knows about a disclosure, as a Privacy Act accounting (5 U.S.C. 552a(c),
DHS Form 191): built from the screening and the bytes relayed, holding no raw PII value."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from piigate.domains import Domains
from piigate.errors import LedgerError
from piigate.model import Attachment, DisclosureRecord, Grade, Recipient, Screening
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
    expedited: bool = False,
    sealed: Attachment | None = None,
    sealed_parts: tuple[str, ...] = (),
    disclaimer: bool | None = None,
) -> DisclosureRecord:
    """The record of one disclosure. ``relayed`` is the message as it left the gate (after
    the gate's own encryption, if any: ``sealed`` is the zip it built, holding
    ``sealed_parts``); the individuals go in as keyed hashes only."""
    if outcome not in OUTCOMES:
        raise LedgerError(f"unknown disclosure outcome {outcome!r}")
    if outcome == "released" and not released_by:
        raise LedgerError("a release from quarantine must name who released it")
    individual_hashes: tuple[str, ...] = ()
    lookup_hashes: tuple[str, ...] = ()
    detection = screening.detection
    if detection.individuals:
        if ledger.identities is None:
            raise LedgerError("the ledger key is needed to record individuals")
        # Every key of every person (SSN and name+DOB, passport …), so the accounting finds
        # them by any one; the record still counts people, not keys.
        individual_hashes = ledger.identities.hash_all(detection.individuals)
        others = ledger.identities.hash_all(detection.lookup_keys - detection.individuals)
        lookup_hashes = tuple(sorted(set(others) - set(individual_hashes)))
    verdict = screening.verdict
    uninspected = _uninspected(screening)
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
        uninspected=tuple(uninspected),
        individual_hashes=individual_hashes,
        lookup_hashes=lookup_hashes,
        uninspected_reasons=tuple(uninspected.values()),
        audit_rules=tuple(dict.fromkeys(v.rule for v in verdict.audit_violations)),
        expedited=expedited,
        sealed=sealed,
        sealed_parts=sealed_parts,
        disclaimer=disclaimer,
    )


NOT_READ = {
    Grade.ENCRYPTED_STRONG: "encrypted; the gate had no password",
    Grade.ENCRYPTED_WEAK: "encrypted (weak); the gate had no password",
    Grade.UNREADABLE: "could not be read",
    Grade.PLAINTEXT: "not read",
}
"""Why an attachment the extractor did not inspect was not read, by its grade."""


def _uninspected(screening: Screening) -> dict[str, str]:
    """Each part the gate could not read → why: the blocking defects, then every attachment
    not inspected that no defect already names."""
    found: dict[str, str] = {}
    for defect in screening.extraction.unscannable:
        found.setdefault(defect.where, defect.reason)
    for attachment in screening.extraction.attachments:
        if attachment.inspected or any(attachment.name in where for where in found):
            continue
        found[f"attachment {attachment.name}"] = NOT_READ[attachment.grade]
    return found


def _recipients(
    addresses: tuple[str, ...], domains: Domains, ledger: Ledger
) -> tuple[Recipient, ...]:
    """Each external recipient with its organisation and, where configured, agency name."""
    out = []
    for address in addresses:
        organization = domains.organization(address)
        out.append(Recipient(address, organization, ledger.agencies.get(organization)))
    return tuple(out)

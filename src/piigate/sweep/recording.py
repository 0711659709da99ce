"""Reconstructed disclosure records: what an archived message disclosed, written into the
ledger by the sweep's client (never by a worker), marked as rebuilt from an archive, dated
by the message's own Date, with no gate decision; never twice for one message (same
Message-ID and content hash, whether recorded live by the gate or by an earlier sweep)."""

from __future__ import annotations

from datetime import UTC, datetime

from piigate.errors import LedgerError
from piigate.model import DisclosureRecord, Recipient
from piigate.record import Ledger
from piigate.sweep.work import SweptMessage

OUTCOME = "reconstructed"
"""A reconstructed record's outcome: the message was sent; no gate decided on it."""


def record_swept(ledger: Ledger, swept: SweptMessage) -> int | None:
    """Append the record of ``swept`` unless the ledger already holds one; its id, or None."""
    if not swept.disclosure:
        return None
    if ledger.has_message(swept.message_id, (swept.sha256, swept.stored_sha256)):
        return None
    return ledger.append(reconstructed_record(ledger, swept))


def reconstructed_record(ledger: Ledger, swept: SweptMessage) -> DisclosureRecord:
    hashes: tuple[str, ...] = ()
    if swept.identities:
        if ledger.identities is None:
            raise LedgerError("the ledger key is needed to record individuals")
        hashes = ledger.identities.hash_all(swept.identities)
    return DisclosureRecord(
        recorded_at=_recorded_at(swept),
        sender=swept.sender,
        recipients=tuple(
            Recipient(address, org, ledger.agencies.get(org))
            for address, org in zip(swept.recipients, swept.recipient_organizations, strict=True)
        ),
        pii_counts=dict(swept.pii_counts),
        individuals=swept.individuals,
        message_id=swept.message_id,
        sha256=swept.sha256,
        outcome=OUTCOME,
        attachments=swept.attachments,
        purpose=swept.purpose,
        sharing_agreement=swept.sharing_agreement,
        case_id=swept.case_id,
        uninspected=swept.uninspected,
        individual_hashes=hashes,
        reconstructed_from=swept.source,
    )


def _recorded_at(swept: SweptMessage) -> str:
    """The message's own Date (milliseconds, UTC, as live records); the epoch when it has
    none, so that an undated message sorts first rather than as if sent today."""
    if swept.sent:
        return datetime.fromisoformat(swept.sent).isoformat(timespec="milliseconds")
    return datetime(1970, 1, 1, tzinfo=UTC).isoformat(timespec="milliseconds")

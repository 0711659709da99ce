"""Build the accounting of one disclosure from what the gate saw and what it relayed."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from piigate.domains import Domains
from piigate.model import DisclosureRecord, Recipient, Screening


def build_record(
    screening: Screening, relayed: bytes, outcome: str, domains: Domains
) -> DisclosureRecord:
    """``relayed`` is the message exactly as the upstream received it (its SHA-256 is kept);
    counts are those seen in clear. Only external recipients are disclosures."""
    return DisclosureRecord(
        recorded_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
        sender=screening.envelope.mail_from,
        recipients=tuple(
            Recipient(address, domains.organization(address))
            for address in screening.verdict.external_recipients
        ),
        pii_counts=screening.detection.counts_by_type(),
        individuals=screening.detection.individual_count,
        message_id=screening.message.message_id,
        sha256=hashlib.sha256(relayed).hexdigest(),
        outcome=outcome,
        attachments=screening.extraction.attachments,
    )

"""The hash chain: each record's hash covers its whole content (recipients, the individuals'
hashes, attachments …), its id and the previous record's hash. Editing, deleting or
reordering a record behind the application's back breaks the chain at that record.

Also the record's one JSON form, shared by the chain, the journal and ``records list --json``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from piigate.model import Attachment, DisclosureRecord, Grade, Recipient

GENESIS = "0" * 64
"""The previous hash of the first record of a ledger."""
ADDED_FIELDS: dict[str, Any] = {
    "uninspected_reasons": [],
    "audit_rules": [],
    "expedited": False,
    "sealed": None,
    "sealed_parts": [],
    "unconfirmed": False,
    "lookup_hashes": [],
    "disclaimer": None,
    "reconstructed_from": None,
}
"""Fields added after records were first chained, with their JSON defaults: a record's hash
covers one only when it differs from its default, so the records written before it was
added verify as they did."""


def record_to_json(record: DisclosureRecord, *, individuals: bool = False) -> dict[str, Any]:
    """Every field; the individuals' hashes only when asked (they are long, and only the
    chain and the journal need them). Built field by field: ``asdict`` would deep-copy
    thousands of hashes."""
    data = {f.name: getattr(record, f.name) for f in fields(record)}
    data["pii_counts"] = dict(record.pii_counts)
    data["recipients"] = [asdict(r) for r in record.recipients]
    data["attachments"] = [asdict(a) for a in record.attachments]
    data["uninspected"] = list(record.uninspected)
    data["uninspected_reasons"] = list(record.uninspected_reasons)
    data["audit_rules"] = list(record.audit_rules)
    data["sealed_parts"] = list(record.sealed_parts)
    data["sealed"] = asdict(record.sealed) if record.sealed is not None else None
    if individuals:
        data["individual_hashes"] = list(record.individual_hashes)
        data["lookup_hashes"] = list(record.lookup_hashes)
    else:
        del data["individual_hashes"]
        del data["lookup_hashes"]
    return data


def record_from_json(data: dict[str, Any]) -> DisclosureRecord:
    return DisclosureRecord(
        id=data.get("id"),
        recorded_at=data["recorded_at"],
        sender=data["sender"],
        recipients=tuple(
            Recipient(r["address"], r["organization"], r.get("agency")) for r in data["recipients"]
        ),
        pii_counts=dict(data["pii_counts"]),
        individuals=int(data["individuals"]),
        message_id=data["message_id"],
        sha256=data["sha256"],
        outcome=data["outcome"],
        attachments=tuple(attachment_from_json(a) for a in data.get("attachments", [])),
        purpose=data.get("purpose"),
        sharing_agreement=data.get("sharing_agreement"),
        case_id=data.get("case_id"),
        released_by=data.get("released_by"),
        release_reason=data.get("release_reason"),
        uninspected=tuple(data.get("uninspected", ())),
        individual_hashes=tuple(data.get("individual_hashes", ())),
        prev_hash=data.get("prev_hash", ""),
        hash=data.get("hash", ""),
        uninspected_reasons=tuple(data.get("uninspected_reasons", ())),
        audit_rules=tuple(data.get("audit_rules", ())),
        expedited=bool(data.get("expedited", False)),
        sealed=attachment_from_json(data["sealed"]) if data.get("sealed") else None,
        sealed_parts=tuple(data.get("sealed_parts", ())),
        unconfirmed=bool(data.get("unconfirmed", False)),
        lookup_hashes=tuple(data.get("lookup_hashes", ())),
        disclaimer=data.get("disclaimer"),
        reconstructed_from=data.get("reconstructed_from"),
    )


def attachment_from_json(data: dict[str, Any]) -> Attachment:
    return Attachment(
        name=data["name"],
        content_type=data["content_type"],
        size=int(data["size"]),
        grade=Grade(data["grade"]),
        inspected=bool(data["inspected"]),
        password_in_message=bool(data.get("password_in_message", False)),
    )


def record_hash(record: DisclosureRecord) -> str:
    """SHA-256 of the canonical JSON of everything but the hash itself."""
    content = record_to_json(record, individuals=True)
    del content["hash"]
    for name, default in ADDED_FIELDS.items():
        if content[name] == default:
            del content[name]
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def seal(record: DisclosureRecord, record_id: int, prev_hash: str) -> DisclosureRecord:
    """The record as it is appended: its id, its place in the chain and its own hash."""
    placed = replace(record, id=record_id, prev_hash=prev_hash, hash="")
    return replace(placed, hash=record_hash(placed))


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of ``records verify``: ``bad_id`` is the first record that is altered,
    out of place or missing (None when the chain is intact)."""

    checked: int
    bad_id: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.bad_id is None


@dataclass(slots=True)
class ChainCheck:
    """Walks the records in id order from an anchor (the genesis, or the last pruned record)."""

    last_id: int
    last_hash: str
    checked: int = 0

    def check(self, record: DisclosureRecord) -> Verification | None:
        """None while the chain holds; the failure at the first record where it breaks."""
        assert record.id is not None
        expected_id = self.last_id + 1
        if record.id != expected_id:
            return Verification(self.checked, expected_id, "missing (deleted)")
        if record.prev_hash != self.last_hash:
            return Verification(self.checked, record.id, "does not follow the record before it")
        if record_hash(record) != record.hash:
            return Verification(self.checked, record.id, "content altered")
        self.last_id, self.last_hash = record.id, record.hash
        self.checked += 1
        return None

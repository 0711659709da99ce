"""A ledger written before schema step 4 (the record's details column) is upgraded when it
opens, on SQLite and PostgreSQL: its records keep the hashes they were sealed with (pinned
here as the earlier code computed them), read back with every new fact at its default, and
new records with those facts chain on after them."""

from __future__ import annotations

import secrets
from pathlib import Path

from piigate.model import Attachment, DisclosureRecord, Grade, Recipient
from piigate.record import open_ledger
from piigate.record.dialects import connect
from piigate.record.migrations import MIGRATIONS

KEY = secrets.token_bytes(32)
OLD_HASH = "ee008ceb46dfff12bde4f183e293762fa4843e00ae60b0c18fbafa92e34c4d2c"
"""The hash the code before step 4 gave the record ``OLD`` (computed by that code)."""
OLD = DisclosureRecord(
    recorded_at="2025-06-01T09:00:00.000+00:00",
    sender="alice@dhs.gov",
    recipients=(Recipient("agent@fbi.gov", "fbi.gov", "Federal Bureau of Investigation"),),
    pii_counts={"US_SSN": 1},
    individuals=1,
    message_id="<old-1@dhs.gov>",
    sha256="ab" * 32,
    outcome="released",
    attachments=(Attachment("list.zip", "application/zip", 189, Grade.ENCRYPTED_STRONG, False),),
    purpose="routine use G",
    released_by="pat",
    release_reason="court order",
    uninspected=("attachment list.zip",),
    individual_hashes=("cd" * 32,),
)


def write_step_3_ledger(url: str) -> None:
    """A ledger as the code before step 4 left it, holding ``OLD`` as record 1."""
    db = connect(url)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for version, steps in enumerate(MIGRATIONS[:3], start=1):
        for statement in steps:
            db.execute(db.ddl(statement))
        db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
    db.execute(
        "INSERT INTO disclosures (id, recorded_at, sender, message_id, sha256, outcome,"
        " individuals, pii_counts, attachments, purpose, released_by, release_reason,"
        " uninspected, prev_hash, hash, individual_set)"
        " VALUES (1, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            OLD.recorded_at,
            OLD.sender,
            OLD.message_id,
            OLD.sha256,
            OLD.outcome,
            '{"US_SSN": 1}',
            '[{"content_type": "application/zip", "grade": "encrypted-strong", "inspected":'
            ' false, "name": "list.zip", "password_in_message": false, "size": 189}]',
            OLD.purpose,
            OLD.released_by,
            OLD.release_reason,
            '["attachment list.zip"]',
            "0" * 64,
            OLD_HASH,
            bytes.fromhex("cd" * 32),
        ),
    )
    db.execute(
        "INSERT INTO disclosure_recipients (disclosure_id, position, address, organization,"
        " agency) VALUES (1, 0, 'agent@fbi.gov', 'fbi.gov', 'Federal Bureau of Investigation')"
    )
    db.close()


def test_an_old_ledger_is_upgraded_and_still_verifies(ledger_url: str, tmp_path: Path) -> None:
    """Opening a step-3 ledger applies step 4; the old record verifies with its old hash and
    reads with defaults; a record with the new facts chains after it and verifies too."""
    write_step_3_ledger(ledger_url)
    ledger = open_ledger(ledger_url, KEY, journal=tmp_path / "journal")
    try:
        old = ledger.record(1)
        assert (old.hash, old.audit_rules, old.expedited, old.sealed) == (OLD_HASH, (), False, None)
        assert ledger.verify().intact
        sealed = Attachment("protected.zip", "application/zip", 900, Grade.ENCRYPTED_STRONG, True)
        new_id = ledger.append(
            DisclosureRecord(
                recorded_at="2026-12-01T09:00:00.000+00:00",
                sender="alice@dhs.gov",
                recipients=OLD.recipients,
                pii_counts={"US_SSN": 1},
                individuals=1,
                message_id="<new-1@dhs.gov>",
                sha256="ef" * 32,
                outcome="delivered",
                audit_rules=("unencrypted-sensitive-pii",),
                expedited=True,
                sealed=sealed,
                sealed_parts=("body",),
                uninspected_reasons=("encrypted; the gate had no password",),
                uninspected=("attachment x.zip",),
            )
        )
        new = ledger.record(new_id)
        assert (new.audit_rules, new.expedited, new.sealed, new.sealed_parts) == (
            ("unencrypted-sensitive-pii",),
            True,
            sealed,
            ("body",),
        )
        assert new.prev_hash == OLD_HASH
        result = ledger.verify()
        assert (result.intact, result.checked) == (True, 2)
    finally:
        ledger.close()
    db = connect(ledger_url, create=False)
    try:
        assert db.execute("SELECT MAX(version) FROM schema_version")[0][0] == len(MIGRATIONS)
    finally:
        db.close()

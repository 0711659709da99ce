"""Versioned schema migrations, applied in order at start-up. Never edit a released step:
add a new one.

The statements are written once, for both databases; the PostgreSQL dialect widens
``INTEGER`` to ``BIGINT`` (ids are given by the ledger under its append lock, not generated)
and spells ``BLOB`` as ``BYTEA``.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: disclosures and their recipients
    (
        """CREATE TABLE disclosures (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            recorded_at TEXT NOT NULL,
            sender TEXT NOT NULL,
            message_id TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            outcome TEXT NOT NULL,
            individuals INTEGER NOT NULL,
            pii_counts TEXT NOT NULL,
            attachments TEXT NOT NULL
        )""",
        """CREATE TABLE disclosure_recipients (
            disclosure_id INTEGER NOT NULL REFERENCES disclosures(id),
            address TEXT NOT NULL,
            organization TEXT NOT NULL
        )""",
        "CREATE INDEX disclosure_recipients_org ON disclosure_recipients (organization)",
        "CREATE INDEX disclosures_recorded_at ON disclosures (recorded_at)",
    ),
    # 2: the full accounting (purpose, authority, release, uninspected parts), the
    #    individuals' keyed hashes, the hash chain, and the checkpoints prune leaves behind
    (
        "ALTER TABLE disclosures ADD COLUMN purpose TEXT",
        "ALTER TABLE disclosures ADD COLUMN sharing_agreement TEXT",
        "ALTER TABLE disclosures ADD COLUMN case_id TEXT",
        "ALTER TABLE disclosures ADD COLUMN released_by TEXT",
        "ALTER TABLE disclosures ADD COLUMN release_reason TEXT",
        "ALTER TABLE disclosures ADD COLUMN uninspected TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE disclosures ADD COLUMN prev_hash TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE disclosures ADD COLUMN hash TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE disclosure_recipients ADD COLUMN agency TEXT",
        "ALTER TABLE disclosure_recipients ADD COLUMN position INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX disclosure_recipients_disclosure ON disclosure_recipients (disclosure_id)",
        "CREATE INDEX disclosures_case ON disclosures (case_id)",
        """CREATE TABLE disclosure_individuals (
            disclosure_id INTEGER NOT NULL REFERENCES disclosures(id),
            individual TEXT NOT NULL
        )""",
        """CREATE INDEX disclosure_individuals_individual
            ON disclosure_individuals (individual, disclosure_id)""",
        "CREATE INDEX disclosure_individuals_disclosure ON disclosure_individuals (disclosure_id)",
        """CREATE TABLE ledger_checkpoints (
            pruned_through INTEGER NOT NULL,
            hash TEXT NOT NULL,
            pruned_before TEXT NOT NULL,
            pruned_at TEXT NOT NULL
        )""",
    ),
    # 3: a record carries its individuals' hashes itself (one packed value, sealed into the
    #    chain), so appending costs the same on an empty ledger and a full one; the look-up
    #    index disclosure_individuals is filled after the commit (see record.indexer) and
    #    ledger_index_state says how far (the last record wholly in, and how many of the next
    #    one's). Records before this step are already indexed.
    (
        "ALTER TABLE disclosures ADD COLUMN individual_set BLOB",
        """CREATE TABLE ledger_index_state (
            indexed_through INTEGER NOT NULL,
            indexed_part INTEGER NOT NULL
        )""",
        "INSERT INTO ledger_index_state (indexed_through, indexed_part)"
        " SELECT COALESCE(MAX(id), 0), 0 FROM disclosures",
    ),
    # 4: what else the gate knew of a disclosure (why parts were not inspected, rules broken
    #    in audit mode, an expedited release, the zip [ENCRYPT] built, a delivery not
    #    confirmed), as one JSON object (see store.details_json); '{}' for the records before
    #    it: each fact at its default. And the intents: a record written before the message
    #    is relayed, removed in the transaction that appends it (see record.intents); and
    #    the Merkle tree's leaves (see record.tree).
    (
        "ALTER TABLE disclosures ADD COLUMN details TEXT NOT NULL DEFAULT '{}'",
        # The individuals' other identity keys (model.DisclosureRecord.lookup_hashes), packed
        # as individual_set is; the look-up index holds both.
        "ALTER TABLE disclosures ADD COLUMN lookup_set BLOB",
        # The Merkle tree's leaves (record.tree), the records so far in order.
        """CREATE TABLE ledger_leaves (
            position INTEGER PRIMARY KEY,
            record_id INTEGER NOT NULL,
            entry TEXT NOT NULL
        )""",
        "CREATE INDEX ledger_leaves_record ON ledger_leaves (record_id)",
        "INSERT INTO ledger_leaves (position, record_id, entry)"
        " SELECT ROW_NUMBER() OVER (ORDER BY id), id, hash FROM disclosures",
        """CREATE TABLE ledger_intents (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            created_at TEXT NOT NULL,
            record TEXT NOT NULL
        )""",
    ),
    # 5: records rebuilt from archived mail by `piigate sweep` name their archive (NULL: a
    #    live record); a sweep looks records up by Message-ID so as never to add one twice
    (
        "ALTER TABLE disclosures ADD COLUMN reconstructed_from TEXT",
        "CREATE INDEX disclosures_message_id ON disclosures (message_id)",
    ),
)

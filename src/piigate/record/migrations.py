"""Versioned schema migrations, applied in order at start-up. Never edit a released step:
add a new one."""

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
)

"""The ledger's SQL, the same for SQLite and PostgreSQL (see ``dialects``). Functions here
take an open ``Database`` and let database errors through; ``Ledger`` translates them.

SQL text is assembled only from this module's constants and ``?`` markers (hence the
``noqa: S608``); every value is a bound parameter."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from piigate.model import DisclosureRecord, Recipient
from piigate.record.chain import GENESIS, attachment_from_json, seal
from piigate.record.dialects import Database, Row
from piigate.record.migrations import MIGRATIONS

_COLUMNS = (
    "id, recorded_at, sender, message_id, sha256, outcome, individuals, pii_counts,"
    " attachments, purpose, sharing_agreement, case_id, released_by, release_reason,"
    " uninspected, prev_hash, hash"
)
BATCH = 500
"""Records per step of ``verify``."""


@contextmanager
def locked(db: Database) -> Iterator[Database]:
    """A transaction holding the chain's append lock: committed on success, else rolled back."""
    db.begin_locked()
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def schema_version(db: Database) -> int:
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    return int(db.execute("SELECT MAX(version) FROM schema_version")[0][0] or 0)


def migrate(db: Database) -> None:
    """Apply the missing steps, each in its own locked transaction (so two gates starting
    together on one PostgreSQL apply each step once)."""
    for version, steps in enumerate(MIGRATIONS, start=1):
        if version <= schema_version(db):
            continue
        with locked(db):
            if version <= schema_version(db):
                continue
            for statement in steps:
                db.execute(db.ddl(statement))
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))


def chain_head(db: Database) -> tuple[int, str]:
    """The id and hash the next record follows: the last record, else the last checkpoint
    that prune left, else the genesis."""
    rows = db.execute("SELECT id, hash FROM disclosures ORDER BY id DESC LIMIT 1")
    return (int(rows[0][0]), rows[0][1]) if rows else chain_anchor(db)


def chain_anchor(db: Database) -> tuple[int, str]:
    rows = db.execute(
        "SELECT pruned_through, hash FROM ledger_checkpoints ORDER BY pruned_through DESC LIMIT 1"
    )
    return (int(rows[0][0]), rows[0][1]) if rows else (0, GENESIS)


def append(db: Database, record: DisclosureRecord) -> DisclosureRecord:
    """Seal ``record`` after the chain's head and insert it, under the append lock."""
    with locked(db):
        last_id, last_hash = chain_head(db)
        sealed = seal(record, last_id + 1, last_hash)
        _insert(db, sealed)
    return sealed


def _insert(db: Database, record: DisclosureRecord) -> None:
    db.execute(
        f"INSERT INTO disclosures ({_COLUMNS}) VALUES ({', '.join('?' * 17)})",  # noqa: S608
        (
            record.id,
            record.recorded_at,
            record.sender,
            record.message_id,
            record.sha256,
            record.outcome,
            record.individuals,
            json.dumps(record.pii_counts, sort_keys=True),
            json.dumps([_attachment_json(a) for a in record.attachments]),
            record.purpose,
            record.sharing_agreement,
            record.case_id,
            record.released_by,
            record.release_reason,
            json.dumps(list(record.uninspected)),
            record.prev_hash,
            record.hash,
        ),
    )
    db.executemany(
        "INSERT INTO disclosure_recipients (disclosure_id, position, address, organization,"
        " agency) VALUES (?, ?, ?, ?, ?)",
        [
            (record.id, n, r.address, r.organization, r.agency)
            for n, r in enumerate(record.recipients)
        ],
    )
    if record.individual_hashes:
        assert record.id is not None
        db.insert_individuals([(record.id, h) for h in record.individual_hashes])


def _attachment_json(attachment: Any) -> dict[str, Any]:
    return {
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "grade": str(attachment.grade),
        "inspected": attachment.inspected,
    }


def exists(db: Database, record: DisclosureRecord) -> bool:
    """Whether a record of this very delivery is already in (a journal replayed twice)."""
    rows = db.execute(
        "SELECT 1 FROM disclosures WHERE recorded_at = ? AND sha256 = ? AND message_id = ?",
        (record.recorded_at, record.sha256, record.message_id),
    )
    return bool(rows)


def select(
    db: Database, where: str = "", params: Sequence[Any] = (), *, individuals: bool = False
) -> list[DisclosureRecord]:
    """Records matching ``where`` (SQL on the disclosures table ``d``), oldest first, with
    their recipients (and the individuals' hashes when asked)."""
    clause = f"WHERE {where}" if where else ""
    sql = f"SELECT {_COLUMNS} FROM disclosures d {clause} ORDER BY id"  # noqa: S608
    rows = db.execute(sql, params)
    ids = [int(row[0]) for row in rows]
    recipients = _children(
        db, ids, "disclosure_id, address, organization, agency", "disclosure_recipients"
    )
    hashes = {}
    if individuals:
        hashes = _children(db, ids, "disclosure_id, individual", "disclosure_individuals")
    return [
        _record(
            row,
            tuple(Recipient(*r[1:]) for r in recipients.get(int(row[0]), ())),
            tuple(sorted(h[1] for h in hashes.get(int(row[0]), ()))),
        )
        for row in rows
    ]


def _children(db: Database, ids: list[int], columns: str, table: str) -> dict[int, list[Row]]:
    found: dict[int, list[Row]] = {}
    order = ", position" if table == "disclosure_recipients" else ""
    for condition, params in db.any_of("disclosure_id", ids):
        sql = f"SELECT {columns} FROM {table} WHERE {condition} ORDER BY disclosure_id{order}"  # noqa: S608
        for row in db.execute(sql, params):
            found.setdefault(int(row[0]), []).append(row)
    return found


def _record(
    row: Row, recipients: tuple[Recipient, ...], hashes: tuple[str, ...]
) -> DisclosureRecord:
    return DisclosureRecord(
        id=int(row[0]),
        recorded_at=row[1],
        sender=row[2],
        message_id=row[3],
        sha256=row[4],
        outcome=row[5],
        individuals=int(row[6]),
        pii_counts=json.loads(row[7]),
        attachments=tuple(attachment_from_json(a) for a in json.loads(row[8])),
        purpose=row[9],
        sharing_agreement=row[10],
        case_id=row[11],
        released_by=row[12],
        release_reason=row[13],
        uninspected=tuple(json.loads(row[14])),
        prev_hash=row[15],
        hash=row[16],
        recipients=recipients,
        individual_hashes=hashes,
    )


def batches(db: Database, after: int) -> Iterator[list[DisclosureRecord]]:
    """Every record after id ``after``, with individuals, ``BATCH`` at a time (for verify)."""
    while True:
        ids = db.execute(
            "SELECT id FROM disclosures WHERE id > ? ORDER BY id LIMIT ?", (after, BATCH)
        )
        if not ids:
            return
        last = int(ids[-1][0])
        yield select(db, "id > ? AND id <= ?", (after, last), individuals=True)
        after = last

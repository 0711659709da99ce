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
from piigate.record.chain import (
    ADDED_FIELDS,
    GENESIS,
    attachment_from_json,
    record_to_json,
    seal,
)
from piigate.record.dialects import DB_ERRORS, Database, Row
from piigate.record.migrations import MIGRATIONS

_COLUMNS = (
    "id, recorded_at, sender, message_id, sha256, outcome, individuals, pii_counts,"
    " attachments, purpose, sharing_agreement, case_id, released_by, release_reason,"
    " uninspected, prev_hash, hash, details, reconstructed_from"
)
_SET = 19
"""Where ``individual_set`` is in a row selected with the individuals (``lookup_set`` next)."""
_SETS = "individual_set, lookup_set"
BATCH = 500
"""Records per step of ``verify``."""
DIGEST_SIZE = 32
"""Bytes of one individual's HMAC-SHA-256 in a record's packed ``individual_set``."""
INDEX_CHUNK = 1000
"""Individuals put into the look-up index per transaction."""


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


def holds_ledger(db: Database) -> bool:
    """Whether ``db`` already holds a ledger (read without writing anything)."""
    try:
        db.execute("SELECT COUNT(*) FROM schema_version")
    except DB_ERRORS:
        return False
    return True


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


def append(db: Database, record: DisclosureRecord, intent: str | None = None) -> DisclosureRecord:
    """Seal ``record`` after the chain's head and insert it, under the append lock; the
    ``intent`` it fulfils is removed in the same transaction."""
    with locked(db):
        last_id, last_hash = chain_head(db)
        sealed = seal(record, last_id + 1, last_hash)
        _insert(db, sealed)
        db.execute(
            "INSERT INTO ledger_leaves (position, record_id, entry)"
            " SELECT COALESCE(MAX(position), 0) + 1, ?, ? FROM ledger_leaves",
            (sealed.id, sealed.hash),
        )
        if intent is not None:
            db.execute("DELETE FROM ledger_intents WHERE id = ?", (intent,))
    return sealed


def _insert(db: Database, record: DisclosureRecord) -> None:
    db.execute(
        f"INSERT INTO disclosures ({_COLUMNS}, {_SETS})"  # noqa: S608
        f" VALUES ({', '.join('?' * 21)})",
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
            json.dumps(details_json(record), sort_keys=True),
            record.reconstructed_from,
            pack(record.individual_hashes),
            pack(record.lookup_hashes),
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


def pack(hashes: Sequence[str]) -> bytes | None:
    """The sorted hex digests as one value (32 bytes each); None when there are none."""
    return bytes.fromhex("".join(hashes)) if hashes else None


def unpack(packed: bytes | None) -> tuple[str, ...]:
    if not packed:
        return ()
    text = bytes(packed).hex()
    step = 2 * DIGEST_SIZE
    return tuple(text[start : start + step] for start in range(0, len(text), step))


def indexed_through(db: Database) -> int:
    """The last record whose individuals are all in the look-up index."""
    return int(db.execute("SELECT indexed_through FROM ledger_index_state")[0][0])


def index_step(db: Database, until: int) -> bool:
    """Copy up to ``INDEX_CHUNK`` individuals of the records (up to id ``until``) not yet
    wholly in the look-up index into it, in one transaction with the index's lock: many
    small records take one step, a 4,825-person record five (so an append never waits long
    behind one). False when there was nothing to do."""
    db.begin_indexing()
    try:
        progress = db.execute("SELECT indexed_through, indexed_part FROM ledger_index_state")
        through, done = progress[0]
        rows = both_sets(
            db.execute(
                f"SELECT id, {_SETS} FROM disclosures WHERE id > ? AND id <= ?"  # noqa: S608
                " ORDER BY id LIMIT ?",
                (through, until, INDEX_CHUNK),
            )
        )
        if not rows:
            db.execute("ROLLBACK")
            return False
        entries, state = _next_entries(rows, int(through), int(done))
        if entries:
            db.insert_individuals(entries)
        db.execute("UPDATE ledger_index_state SET indexed_through = ?, indexed_part = ?", state)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return True


def both_sets(rows: list[Row]) -> list[Row]:
    """(id, individual_set, lookup_set) rows → (id, both sets as one packed value): what the
    look-up index holds of a record, in the order it is indexed."""
    return [(row[0], bytes(row[1] or b"") + bytes(row[2] or b"") or None) for row in rows]


def _next_entries(
    rows: list[Row], through: int, done: int
) -> tuple[list[tuple[int, str]], tuple[int, int]]:
    """Up to ``INDEX_CHUNK`` (record id, hash) entries from ``rows``, the first record's
    starting after its ``done`` first; and the index state after them."""
    entries: list[tuple[int, str]] = []
    for record_id, packed in rows:
        room = INDEX_CHUNK - len(entries)
        hashes = unpack(bytes(packed or b"")[done * DIGEST_SIZE :])
        entries.extend((int(record_id), digest) for digest in hashes[:room])
        if len(hashes) > room:
            return entries, (through, done + room)
        through, done = int(record_id), 0
        if len(entries) >= INDEX_CHUNK:
            break
    return entries, (through, 0)


def details_json(record: DisclosureRecord) -> dict[str, Any]:
    """The facts added in schema step 4 (see ``chain.ADDED_FIELDS``), in one JSON column."""
    data = record_to_json(record)
    own_column = "reconstructed_from"  # schema step 5 gave it a column (looked up by sweeps)
    return {name: data[name] for name in ADDED_FIELDS if name in data and name != own_column}


def details_from_json(data: dict[str, Any]) -> dict[str, Any]:
    """``details_json`` back to ``DisclosureRecord`` fields (a record from before step 4
    has ``{}``: every field at its default)."""
    sealed = data.get("sealed")
    return {
        "uninspected_reasons": tuple(data.get("uninspected_reasons", ())),
        "audit_rules": tuple(data.get("audit_rules", ())),
        "expedited": bool(data.get("expedited", False)),
        "sealed": attachment_from_json(sealed) if sealed else None,
        "sealed_parts": tuple(data.get("sealed_parts", ())),
        "unconfirmed": bool(data.get("unconfirmed", False)),
        "disclaimer": data.get("disclaimer"),
    }


def _attachment_json(attachment: Any) -> dict[str, Any]:
    return {
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "grade": str(attachment.grade),
        "inspected": attachment.inspected,
        "password_in_message": attachment.password_in_message,
    }


def exists(db: Database, record: DisclosureRecord) -> bool:
    """Whether a record of this very delivery is already in (a journal replayed twice)."""
    rows = db.execute(
        "SELECT 1 FROM disclosures WHERE recorded_at = ? AND sha256 = ? AND message_id = ?",
        (record.recorded_at, record.sha256, record.message_id),
    )
    return bool(rows)


def has_message(db: Database, message_id: str, sha256s: Sequence[str]) -> bool:
    """Whether a record (live or reconstructed) of this message, with one of these content
    hashes, is already in."""
    marks = ", ".join("?" * len(sha256s))
    rows = db.execute(
        f"SELECT 1 FROM disclosures WHERE message_id = ? AND sha256 IN ({marks})",  # noqa: S608
        (message_id, *sha256s),
    )
    return bool(rows)


def select(
    db: Database, where: str = "", params: Sequence[Any] = (), *, individuals: bool = False
) -> list[DisclosureRecord]:
    """Records matching ``where`` (SQL on the disclosures table ``d``), oldest first, with
    their recipients (and the individuals' hashes when asked)."""
    clause = f"WHERE {where}" if where else ""
    columns = f"{_COLUMNS}, {_SETS}" if individuals else _COLUMNS
    sql = f"SELECT {columns} FROM disclosures d {clause} ORDER BY id"  # noqa: S608
    rows = db.execute(sql, params)
    ids = [int(row[0]) for row in rows]
    recipients = _children(
        db, ids, "disclosure_id, address, organization, agency", "disclosure_recipients"
    )
    hashes = _individuals(db, rows) if individuals else {}
    return [
        _record(
            row,
            tuple(Recipient(*r[1:]) for r in recipients.get(int(row[0]), ())),
            hashes.get(int(row[0]), ()),
            unpack(row[_SET + 1]) if individuals else (),
        )
        for row in rows
    ]


def _individuals(db: Database, rows: list[Row]) -> dict[int, tuple[str, ...]]:
    """Each record's hashes: from its packed set; for records written before the set
    existed (schema step 3), from the look-up index."""
    found = {int(row[0]): unpack(row[_SET]) for row in rows if row[_SET] is not None}
    older = [int(row[0]) for row in rows if row[_SET] is None and int(row[6]) > 0]
    for record_id, index_rows in indexed(db, older).items():
        found[record_id] = tuple(sorted(r[1] for r in index_rows))
    return found


def index_mismatches(db: Database, records: list[DisclosureRecord], through: int) -> set[int]:
    """The ids of indexed records (id <= ``through``) whose look-up index entries are not
    exactly their own individuals."""
    expected = {
        r.id: tuple(sorted(r.individual_hashes + r.lookup_hashes))
        for r in records
        if r.id is not None and r.id <= through
    }
    rows = indexed(db, list(expected))
    return {
        record_id
        for record_id, hashes in expected.items()
        if tuple(sorted(row[1] for row in rows.get(record_id, ()))) != hashes
    }


def indexed(db: Database, ids: list[int]) -> dict[int, list[Row]]:
    """The look-up index's rows (disclosure_id, individual) of these records."""
    return _children(db, ids, "disclosure_id, individual", "disclosure_individuals")


def _children(db: Database, ids: list[int], columns: str, table: str) -> dict[int, list[Row]]:
    found: dict[int, list[Row]] = {}
    order = ", position" if table == "disclosure_recipients" else ""
    for condition, params in db.any_of("disclosure_id", ids):
        sql = f"SELECT {columns} FROM {table} WHERE {condition} ORDER BY disclosure_id{order}"  # noqa: S608
        for row in db.execute(sql, params):
            found.setdefault(int(row[0]), []).append(row)
    return found


def _record(
    row: Row,
    recipients: tuple[Recipient, ...],
    hashes: tuple[str, ...],
    lookup: tuple[str, ...] = (),
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
        **details_from_json(json.loads(row[17] or "{}")),
        reconstructed_from=row[18],
        recipients=recipients,
        individual_hashes=hashes,
        lookup_hashes=lookup,
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

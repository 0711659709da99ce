"""The records as a Merkle tree (RFC 9162, as Certificate Transparency keeps its log): leaf
``n`` is the ``n``-th record's chain hash, hashed with the leaf prefix 0x00, nodes with 0x01
(pymerkle's security mode). The leaves live in ``ledger_leaves`` (position from 1, the
record's id, its hash), written in the append's own transaction; prune keeps them, so a
pruned ledger still proves it extends every checkpoint.

pymerkle does the tree: roots at any size, inclusion and consistency proofs, and their
verification; this module only gives it the leaves from the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymerkle import BaseMerkleTree, ConsistencyProof, InclusionProof, InvalidProof
from pymerkle.hasher import MerkleHasher

from piigate.errors import LedgerError
from piigate.record.dialects import Database

__all__ = [
    "ConsistencyProof",
    "InclusionProof",
    "InvalidProof",
    "LedgerTree",
    "leaf_entries",
    "leaf_entries_after",
    "leaf_of",
]

ALGORITHM = "sha256"


class LedgerTree(BaseMerkleTree):  # type: ignore[misc]  # pymerkle has no type information
    """The tree over a ledger's leaves, read from ``db`` (one command's or thread's)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        super().__init__(ALGORITHM)

    def _encode_entry(self, data: bytes) -> bytes:
        return data

    def _store_leaf(self, data: bytes, digest: bytes) -> int:
        raise LedgerError("the ledger's tree grows only by appending records")

    def _get_leaf(self, index: int) -> bytes:
        rows = self._db.execute("SELECT entry FROM ledger_leaves WHERE position = ?", (index,))
        return self._digests(rows)[0]

    def _get_leaves(self, offset: int, width: int) -> list[bytes]:
        rows = self._db.execute(
            "SELECT entry FROM ledger_leaves WHERE position > ? AND position <= ?"
            " ORDER BY position",
            (offset, offset + width),
        )
        return self._digests(rows)

    def _get_size(self) -> int:
        return int(self._db.execute("SELECT COALESCE(MAX(position), 0) FROM ledger_leaves")[0][0])

    def _digests(self, rows: Iterable[tuple[Any, ...]]) -> list[bytes]:
        return [self.hash_buff(bytes.fromhex(row[0])) for row in rows]

    def root_hex(self, size: int) -> str:
        return "" if size == 0 else bytes(self.get_root(size)).hex()


def leaf_of(record_hash: str) -> bytes:
    """The leaf digest of a record's chain hash, as the tree and a proof's checker see it."""
    return bytes(MerkleHasher(ALGORITHM, security=True).hash_buff(bytes.fromhex(record_hash)))


def leaf_entries(db: Database, record_ids: list[int]) -> dict[int, str]:
    """Record id → the chain hash its leaf holds."""
    found: dict[int, str] = {}
    for condition, params in db.any_of("record_id", record_ids):
        sql = f"SELECT record_id, entry FROM ledger_leaves WHERE {condition}"  # noqa: S608
        found.update((int(row[0]), str(row[1])) for row in db.execute(sql, params))
    return found


def leaf_entries_after(db: Database, record_id: int) -> int | None:
    """The first record id after ``record_id`` that has a leaf (None when there is none)."""
    rows = db.execute("SELECT MIN(record_id) FROM ledger_leaves WHERE record_id > ?", (record_id,))
    return int(rows[0][0]) if rows and rows[0][0] is not None else None

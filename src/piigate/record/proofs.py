"""What the Merkle tree proves (see ``record.tree`` and ``record.checkpoints``): the ledger
extends every saved checkpoint (consistency proofs), one record is in the ledger a
checkpoint signed (inclusion proof, checked with the public key alone); and the gate's
thread that signs a checkpoint every ``ledger.checkpoint_interval`` seconds."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from piigate.errors import LedgerError
from piigate.record import checkpoints
from piigate.record.checkpoints import Checkpoint
from piigate.record.dialects import DB_ERRORS, Database
from piigate.record.tree import InclusionProof, InvalidProof, LedgerTree, leaf_of

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

FAULTS: tuple[type[Exception], ...] = (*DB_ERRORS, LedgerError)


def state(db: Database) -> tuple[int, str]:
    """The tree's size and root (hex) now."""
    tree = LedgerTree(db)
    size = tree.get_size()
    return size, tree.root_hex(size)


def sign_now(db: Database, key: Ed25519PrivateKey) -> Checkpoint:
    return checkpoints.sign(key, *state(db))


def extends(db: Database, saved: Sequence[Checkpoint], key: Ed25519PublicKey) -> str | None:
    """None when every checkpoint is signed by ``key`` and the ledger extends it; else why
    not, for the first that fails."""
    tree = LedgerTree(db)
    size = tree.get_size()
    for n, checkpoint in enumerate(saved, start=1):
        which = f"checkpoint {n} ({checkpoint.time}, {checkpoint.size} records)"
        if not checkpoints.signed_by(key, checkpoint):
            return f"{which}: its signature does not verify"
        if checkpoint.size > size:
            return f"{which}: the ledger has only {size} records (truncated)"
        if checkpoint.size == 0:
            continue
        proof = tree.prove_consistency(checkpoint.size, size)
        try:
            proof.verify(bytes.fromhex(checkpoint.root), tree.get_root(size))
        except (InvalidProof, ValueError):
            return f"{which}: the ledger does not extend it (its records were rewritten)"
    return None


def inclusion(db: Database, record_id: int, saved: Sequence[Checkpoint]) -> dict[str, Any]:
    """The proof that record ``record_id`` is in the ledger of the latest checkpoint that
    covers it: JSON for ``check_proof``."""
    rows = db.execute("SELECT position, entry FROM ledger_leaves WHERE record_id = ?", (record_id,))
    if not rows:
        raise LedgerError(f"no record {record_id} in the ledger's tree")
    position, entry = int(rows[0][0]), str(rows[0][1])
    covering = [c for c in saved if c.size >= position]
    if not covering:
        raise LedgerError(
            f"no saved checkpoint covers record {record_id} yet (run `piigate records checkpoint`)"
        )
    checkpoint = covering[-1]
    proof = LedgerTree(db).prove_inclusion(position, checkpoint.size)
    return {
        "record_id": record_id,
        "record_hash": entry,
        "leaf_index": position,
        "checkpoint": asdict(checkpoint),
        "proof": proof.serialize(),
    }


def check_proof(data: dict[str, Any], key: Ed25519PublicKey) -> str:
    """Check a ``records proof`` document with the public key alone; what it proves, or
    ``LedgerError`` saying why it does not hold."""
    try:
        checkpoint = Checkpoint(**data["checkpoint"])
        proof = InclusionProof.deserialize(data["proof"])
        leaf = leaf_of(str(data["record_hash"]))
        if not checkpoints.signed_by(key, checkpoint):
            raise LedgerError("the checkpoint's signature does not verify")
        proof.verify(leaf, bytes.fromhex(checkpoint.root), size=checkpoint.size)
    except (InvalidProof, KeyError, TypeError, ValueError):
        raise LedgerError("the inclusion proof does not hold") from None
    return (
        f"proof holds: record {data['record_id']} (hash {data['record_hash']}) is leaf "
        f"{data['leaf_index']} of the {checkpoint.size}-record ledger signed at {checkpoint.time}"
    )


class Checkpointer:
    """The gate's thread: every ``interval`` seconds, when the ledger grew, sign a checkpoint
    and append it to ``path``."""

    def __init__(
        self,
        connect: Callable[[], Database],
        key: Ed25519PrivateKey,
        path: Path,
        interval: float,
    ) -> None:
        self._connect, self._key, self._path, self._interval = connect, key, path, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ledger-checkpoints", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        last = -1
        while not self._stop.wait(self._interval):
            db: Database | None = None
            try:
                db = self._connect()
                size, root = state(db)
                if size != last:
                    checkpoints.append(self._path, checkpoints.sign(self._key, size, root))
                    last = size
            except FAULTS as exc:
                import structlog  # noqa: PLC0415 (on a fault only: commands never load it)

                structlog.get_logger("piigate.record").warning(
                    "ledger checkpoint not written; will retry", error=type(exc).__name__
                )
            finally:
                if db is not None:
                    with suppress(*DB_ERRORS):
                        db.close()

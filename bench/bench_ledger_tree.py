"""The Merkle tree's cost (issue 17): appending a 4,825-individual record with its tree leaf
against the same append without it (the code before the tree, run here as the baseline in
the same process), and the work of checkpoints and proofs on a tree of N leaves.

    .venv/bin/python bench/bench_ledger_tree.py [--backend sqlite|postgres|both] [--leaves N]

Target: the 4,825-individual record under 50 ms on SQLite. The tree's reads (checkpoint =
its root, a consistency proof and its check, an inclusion proof) read every leaf once:
they run in a command or the gate's checkpoint thread, never on a message's path.
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ledger import BIG, KEY, backend, keys, record, summary, timed

from piigate.record import open_ledger, proofs, store
from piigate.record.chain import seal
from piigate.record.tree import LedgerTree


def append_without_tree(ledger: object, rec: object) -> None:
    """The append as it was before the tree: seal and insert under the lock, no leaf."""
    db = ledger._db  # type: ignore[attr-defined]
    with store.locked(db):
        last_id, last_hash = store.chain_head(db)
        store._insert(db, seal(rec, last_id + 1, last_hash))  # type: ignore[arg-type]


def run(name: str, leaves: int, rng: random.Random) -> None:
    with backend(name) as url:
        ledger = open_ledger(url, KEY, journal=Path(tempfile.gettempdir()) / "tree.journal")
        try:
            with_tree, without = [], []
            for n in range(20):  # alternate, so load on the machine falls on both alike
                people = keys(rng, BIG)
                if n % 2:
                    with_tree += timed(lambda p=people: ledger.append(record(ledger, p)), 1)
                else:
                    without += timed(
                        lambda p=people: append_without_tree(ledger, record(ledger, p)), 1
                    )
            print(summary(f"{name}: append {BIG}-individual record, with leaf", with_tree))
            print(summary(f"{name}: append {BIG}-individual record, no tree", without))
            ratio = statistics.median(with_tree) / statistics.median(without)
            print(f"{name}: ratio with/without tree (medians) {ratio:.2f}")
            db = ledger._db
            db.execute("DELETE FROM ledger_leaves")
            db.begin()
            db.executemany(
                "INSERT INTO ledger_leaves (position, record_id, entry) VALUES (?, ?, ?)",
                [(p, p, secrets.token_hex(32)) for p in range(1, leaves + 1)],
            )
            db.execute("COMMIT")
            print(
                summary(
                    f"{name}: root of {leaves:,} leaves (a checkpoint)",
                    timed(lambda: proofs.state(db), 3),
                )
            )
            tree = LedgerTree(db)
            prior = leaves // 2
            prior_root = tree.get_root(prior)
            later_root = tree.get_root(leaves)

            def consistency() -> None:
                LedgerTree(db).prove_consistency(prior, leaves).verify(prior_root, later_root)

            print(
                summary(
                    f"{name}: consistency proof + check, {leaves:,} leaves", timed(consistency, 3)
                )
            )
            index = rng.randrange(1, leaves)
            print(
                summary(
                    f"{name}: inclusion proof, {leaves:,} leaves",
                    timed(lambda: LedgerTree(db).prove_inclusion(index, leaves), 3),
                )
            )
        finally:
            ledger.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--leaves", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(9162)
    for name in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        run(name, args.leaves, rng)


if __name__ == "__main__":
    main()

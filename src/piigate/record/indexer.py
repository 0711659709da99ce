"""The individuals' look-up index, filled after the commit.

A record carries its individuals' hashes itself (``disclosures.individual_set``, sealed into
the chain), so appending one costs the same whatever the ledger holds. Putting 4,825 random
hashes into an index of a million entries touches thousands of index pages; that work is
done here, off the path between the client's DATA and its 250: a thread with its own
connection copies each new record's hashes into ``disclosure_individuals`` (at most 1,000
per transaction, several small records in one, under the index's own lock, so several gate
instances on one PostgreSQL never index a record twice) and advances
``ledger_index_state`` (the last record wholly in, and how many of the next one's).

The commands that read the index (accounting, recipients of a case) first catch it up
themselves (``catch_up``); the gate's per-message cumulative-exposure look-up reads the
records not yet indexed from their packed sets. So an answer is never missing a record that
is already committed, whether or not this thread has run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress

from piigate.errors import LedgerError
from piigate.record import store
from piigate.record.dialects import DB_ERRORS, Database

POLL_SECONDS = 5.0
"""Also look without being woken: other gate instances append to a shared ledger."""
RETRY_SECONDS = 30.0
FAULTS: tuple[type[Exception], ...] = (*DB_ERRORS, LedgerError)


def catch_up(db: Database, stop: Callable[[], bool] = lambda: False) -> int:
    """Index every record committed before now that is not yet in the look-up index (later
    ones are not chased: under a stream of appends this would never end), unless ``stop``
    says to stop between steps; return how many steps it took."""
    until = int(db.execute("SELECT COALESCE(MAX(id), 0) FROM disclosures")[0][0])
    steps = 0
    while not stop() and store.index_step(db, until):
        steps += 1
    return steps


class Indexer:
    """The background thread. ``wake`` after an append; ``close`` finishes the step in hand
    and stops (what is left is indexed by the next catch-up)."""

    def __init__(self, connect: Callable[[], Database], *, poll: float = POLL_SECONDS) -> None:
        self._connect = connect
        self._poll = poll
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ledger-indexer", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        db: Database | None = None
        while not self._stop.is_set():
            try:
                db = db or self._connect()
                catch_up(db, self._stop.is_set)
                delay = self._poll
            except FAULTS as exc:
                import structlog  # noqa: PLC0415 (on a fault only: commands never load it)

                structlog.get_logger("piigate.record").warning(
                    "ledger index: cannot catch up; will retry", error=type(exc).__name__
                )
                self._drop(db)
                db, delay = None, RETRY_SECONDS
            self._wake.wait(delay)
            self._wake.clear()
        self._drop(db)

    @staticmethod
    def _drop(db: Database | None) -> None:
        if db is not None:
            with suppress(*DB_ERRORS):
                db.close()

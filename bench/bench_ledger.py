"""Ledger benchmark: writes per second and the time to record one disclosure (with 4,825
individuals, as in OIG-16-123, and with 1), then accounting and cumulative-exposure query
times on a ledger holding about 1,000,000 individual entries. SQLite and PostgreSQL.

    .venv/bin/python bench/bench_ledger.py [--backend sqlite|postgres|both] [--entries N]

PostgreSQL: a database of its own on $PIIGATE_TEST_POSTGRES (default the local server),
dropped afterwards. Targets (issue 7): a 4,825-individual record < 100 ms; accounting
< 10 ms at 1,000,000 entries. A write's time includes HMAC-hashing the identity keys,
sealing into the chain, insert and commit; the individuals' look-up index is filled after
the commit (record.indexer), so that is timed on its own ("index ... record"), and so is a
write followed by its indexing ("write + index"), the sustained cost.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from piigate.model import DisclosureRecord, Recipient
from piigate.record import Ledger, open_ledger

ADMIN = os.environ.get("PIIGATE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
BIG = 4825
KEY = secrets.token_bytes(32)


def keys(rng: random.Random, n: int) -> list[str]:
    return [f"ssn:{rng.randrange(10**9):09d}" for _ in range(n)]


def record(ledger: Ledger, people: list[str], org: str = "fbi.gov") -> DisclosureRecord:
    assert ledger.identities is not None
    return DisclosureRecord(
        recorded_at="2026-11-25T00:00:00.000+00:00",
        sender="alice@dhs.gov",
        recipients=(Recipient(f"agent@{org}", org, None),),
        pii_counts={"US_SSN": len(people)},
        individuals=len(people),
        message_id=f"<{secrets.token_hex(8)}@dhs.gov>",
        sha256=secrets.token_hex(32),
        outcome="delivered",
        individual_hashes=ledger.identities.hash_all(people),
    )


@contextmanager
def backend(name: str) -> Iterator[str]:
    if name == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    db = f"piigate_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    try:
        yield ADMIN.rsplit("/", 1)[0] + "/" + db
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{db}" WITH (FORCE)')


def timed(action: Callable[[], object], times: int) -> list[float]:
    """Milliseconds per call."""
    out = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(label: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    per_s = 1000 / statistics.mean(ms)
    return (
        f"{label:<48} n={len(ms):<5} median {statistics.median(ms):8.2f} ms"
        f"  p95 {p95:8.2f} ms  {per_s:8.1f}/s"
    )


def run(name: str, entries: int, rng: random.Random) -> None:
    with backend(name) as url:
        ledger = open_ledger(url, KEY, journal=Path(tempfile.gettempdir()) / "bench.journal")
        try:
            measure(name, "write 1-individual record, empty", ledger, rng, 1, 300)
            measure(name, f"write {BIG}-individual record, empty", ledger, rng, BIG, 20)
            ledger.catch_up_index()
            fill(ledger, entries, rng)
            known = keys(random.Random(7), BIG)
            ledger.append(record(ledger, known, org="usdoj.gov"))
            people = rng.sample(known, 200)
            ms = timed(lambda: ledger.accounting(people.pop()), 200)
            print(summary(f"{name}: accounting, 1 person, full", ms))
            ms = timed(lambda: ledger.organizations_for(frozenset(known)), 5)
            print(summary(f"{name}: organizations_for {BIG} keys, full", ms))
            measure(name, "write 1-individual record, full", ledger, rng, 1, 300)
            measure(name, f"write {BIG}-individual record, full", ledger, rng, BIG, 10)
            index_while_writing(name, url, ledger, rng)  # the ten just written
            people = [keys(rng, BIG) for _ in range(10)]
            ms = timed(lambda: write_and_index(ledger, people.pop()), 10)
            print(summary(f"{name}: write + index {BIG}-individual record, full", ms))
        finally:
            ledger.close()


def measure(name: str, label: str, ledger: Ledger, rng: random.Random, n: int, times: int) -> None:
    """Time ``times`` appends of an ``n``-individual record (hashing included)."""
    people = [keys(rng, n) for _ in range(times)]
    ms = timed(lambda: ledger.append(record(ledger, people.pop())), times)
    print(summary(f"{name}: {label}", ms))


def index_while_writing(name: str, url: str, ledger: Ledger, rng: random.Random) -> None:
    """Index the records not yet indexed from a second connection (as the gate's indexer
    thread does) while 1-individual records are appended on the first: how long the
    indexing takes, and what an append waits meanwhile."""
    indexer = open_ledger(url, KEY, journal=Path(tempfile.gettempdir()) / "bench2.journal")
    took: list[float] = []
    thread = threading.Thread(target=lambda: took.extend(timed(indexer.catch_up_index, 1)))
    thread.start()
    ms: list[float] = []
    while thread.is_alive():
        ms.extend(timed(lambda: ledger.append(record(ledger, keys(rng, 1))), 1))
    thread.join()
    indexer.close()
    print(summary(f"{name}: index 10 {BIG}-individual records, full", took))
    print(summary(f"{name}: write 1-individual record while indexing", ms))


def write_and_index(ledger: Ledger, people: list[str]) -> None:
    ledger.append(record(ledger, people))
    ledger.catch_up_index()


def fill(ledger: Ledger, entries: int, rng: random.Random) -> None:
    started = time.perf_counter()
    done = 0
    while done < entries:
        n = min(BIG, entries - done)
        ledger.append(record(ledger, keys(rng, n), org=rng.choice(("fbi.gov", "state.gov"))))
        ledger.catch_up_index()
        done += n
    took = time.perf_counter() - started
    print(f"{name_of(ledger)}: filled to {entries:,} individual entries in {took:.0f} s ('full')")


def name_of(ledger: Ledger) -> str:
    return "postgres" if ledger.name.startswith("postgres") else "sqlite"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = random.Random(2016)
    for name in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        run(name, args.entries, rng)


if __name__ == "__main__":
    main()

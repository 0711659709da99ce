"""The analysts' pages at 10,000 held messages: do the queue, the message page and the report
stay as fast as at 100?

    .venv/bin/python bench/bench_queue.py [--held 10000] [--small 100] [--repeat 15]
        [--backend sqlite|postgresql]

Two quarantines are filled in one run (``--small`` and ``--held`` messages, 70 % held, the rest
released, rejected or expired; 20 masked findings and two attachments each, 200 senders, 50
organisations, 30 days), then each page is fetched ``--repeat`` times through the review app
in-process (httpx's ASGI transport: routing, SQL, template; no socket) and the median taken;
the message page's message is sealed for real (~3 KB, 40 SSNs), its preview masked each time.
The baseline, measured in the same run on the large quarantine, is what the queue did before
(main at 5412ee4): read every held message with all its metadata (``store.messages(HELD)``)
to filter in Python — the data alone, before any of the old page's rows were drawn; and for
the report, what it read before (2438f7f): every message in every state with all its
metadata (``store.messages(None)``). Decided messages have their decision's event, and 30
days of verdict counts (outcomes, rules, 200 senders, 50 organisations) feed the report.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = {
    "queue, default (held, newest first)": "/",
    "queue, every state, by individuals": "/?state=all&sort=individuals",
    "queue, search by subject": "/?state=all&q=roster+17",
    "queue, filter rule + organisation": "/?rule=too-many-individuals&organization=org7",
    "queue, page 100": "/?state=all&page=100",
    "message page": "/m/{id}",
    "report page": "/report",
    "report CSV (by rule)": "/report.csv?table=by_rule",
}
RULES = ["no-sharing-agreement", "too-many-individuals", "cumulative-exposure", "unscannable"]
STATES = ["held"] * 7 + ["released", "rejected", "expired"]


def row(i: int, rng: random.Random, start: datetime) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    held_at = (start + timedelta(seconds=i * 30 * 86400 // 10_000)).isoformat()
    orgs = sorted({f"org{rng.randrange(50)}.gov" for _ in range(rng.randint(1, 4))})
    findings = [
        {"type": "US_SSN", "where": "attachment list.csv", "line": n, "column": "SSN",
         "masked": f"***-**-{n:04d}", "score": 1.0, "recognizer": "ssn"}
        for n in range(20)
    ]  # fmt: skip
    attachments = [
        {"name": "list.csv", "content_type": "text/csv", "size": 4096, "grade": "plaintext",
         "inspected": True},
        {"name": "x.zip", "content_type": "application/zip", "size": 900,
         "grade": "encrypted-strong", "inspected": False},
    ]  # fmt: skip
    rules = rng.sample(RULES, rng.randint(1, 2))
    held_id = f"Q{i:06d}"
    message = (
        held_id, held_at, rng.choice(STATES), held_at, f"user{rng.randrange(200)}@dhs.gov",
        json.dumps([f"r@{o}" for o in orgs]), json.dumps(orgs), f"Roster {i % 97} for review",
        f"<m{i}@dhs.gov>", None, "routine use 12", json.dumps(rules),
        json.dumps([{"rule": r, "action": "quarantine", "message": "held"} for r in rules]),
        json.dumps(findings), json.dumps(attachments), rng.randint(1, 500),
        rng.randint(2_000, 2_000_000), 0,
    )  # fmt: skip
    already = rng.choice([0, 0, 0, rng.randint(1, 20)])
    details = (held_id, already, len(orgs), json.dumps({"ledger_known": True}))
    return message, details


def fill(store: Any, count: int) -> list[str]:
    from piigate.quarantine.store import _COLUMNS

    rng = random.Random(4)
    start = datetime.now(UTC) - timedelta(days=30)
    marks = ", ".join("?" * 18)
    statements = []
    for i in range(count):
        message, details = row(i, rng, start)
        statements.append((f"{MESSAGE_SQL} ({_COLUMNS}) VALUES ({marks})", message))
        statements.append(("INSERT INTO quarantine_details VALUES (?, ?, ?, ?)", details))
        if message[2] != "held":  # its decision, a few hours after the hold
            at = (
                datetime.fromisoformat(message[1]) + timedelta(hours=rng.randint(1, 48))
            ).isoformat()
            decision = (message[0], at, "analyst", "held", message[2], "bench", 0)
            statements.append((EVENT_SQL, decision))
    statements += counts(start, rng)
    for chunk in range(0, len(statements), 2000):
        store.write_all(*statements[chunk : chunk + 2000])
    return [s[1][0] for s in statements if s[0].startswith(MESSAGE_SQL) and s[1][2] == "held"]


EVENT_SQL = "INSERT INTO quarantine_events VALUES (?, ?, ?, ?, ?, ?, ?)"
MESSAGE_SQL = "INSERT INTO quarantine_messages"
OUTCOMES = ["delivered", "refused", "held", "encrypted on the sender's behalf"]


def counts(start: datetime, rng: random.Random) -> list[tuple[str, tuple[Any, ...]]]:
    """30 days of verdict counts (outcomes, rules, 200 senders, 50 organisations)."""
    rows = []
    for back in range(30):
        day = (start + timedelta(days=back)).date().isoformat()
        names = [("outcome", o) for o in OUTCOMES] + [("rule", f"quarantine:{r}") for r in RULES]
        names += [("sender", f"user{s}@dhs.gov") for s in range(200)]
        names += [("organization", f"org{o}.gov") for o in range(50)]
        rows += [
            (
                "INSERT INTO verdict_counts VALUES (?, ?, ?, ?)",
                (day, kind, name, rng.randint(1, 900)),
            )
            for kind, name in names
        ]
    return rows


def sealed_message() -> bytes:
    """The message page's message (its preview is built from it): ~3 KB, text and HTML,
    with a few synthetic SSNs."""
    from tests.synthetic import message, ssn

    rng = random.Random(7)
    lines = [f"Employee {i}: SSN {ssn(rng)}, start date 2019-0{i % 9 + 1}-14." for i in range(40)]
    body = "Hello,\nthe records you asked for:\n" + "\n".join(lines) + "\n"
    html = "<p>" + "</p><p>".join(lines) + "</p>"
    return message(subject="Roster 17 for review", body=body, html=html)


def settings_for(directory: Path, backend: str, name: str) -> Any:
    from piigate.config import load_settings
    from piigate.keys import create_key_file

    base = load_settings(ROOT / "config" / "piigate.yaml")
    for key in ("q.key", "l.key"):
        create_key_file(directory / key)
    url = f"sqlite:///{directory}/{name}.db"
    if backend == "postgresql":
        url = create_pg_database(f"piigate_bench_queue_{name}")
    return base.model_copy(
        update={
            "ledger": base.ledger.model_copy(
                update={
                    "url": f"sqlite:///{directory}/{name}-ledger.db",
                    "key_file": directory / "l.key",
                }
            ),
            "quarantine": base.quarantine.model_copy(
                update={"dir": directory / name, "key_file": directory / "q.key", "url": url}
            ),
            "review": base.review.model_copy(update={"auth_header": "X-Analyst"}),
        }
    )


def create_pg_database(name: str) -> str:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


async def median_ms(client: Any, path: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = await client.get(path, headers={"X-Analyst": "bench"})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times)


async def measure(
    settings: Any, screener: Any, count: int, repeat: int
) -> tuple[dict[str, float], Any]:
    import httpx

    from piigate.pipeline import build_gate
    from piigate.review.app import build_pages

    gate = build_gate(settings, screener)
    held = fill(gate.quarantine, count)
    gate.quarantine.sealed.write(held[len(held) // 2], sealed_message())
    app = build_pages(settings, gate).app()
    transport = httpx.ASGITransport(app=app)
    results = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for name, path in PAGES.items():
            results[name] = await median_ms(client, path.format(id=held[len(held) // 2]), repeat)
    return results, gate


def baseline_ms(gate: Any, repeat: int, state: Any = "held") -> float:
    """The old pages' data alone: every message (of ``state``, or all with None) with all its
    metadata, findings included."""
    from piigate.quarantine import State

    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        gate.quarantine.messages(State(state) if state else None)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--held", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    from piigate.config import LogSettings
    from piigate.logs import configure_logging
    from piigate.pipeline import build_screener

    configure_logging(LogSettings(level="warning"))
    with tempfile.TemporaryDirectory() as tmp:
        small_settings = settings_for(Path(tmp), args.backend, "small")
        screener = build_screener(small_settings)
        small, small_gate = await measure(small_settings, screener, args.small, args.repeat)
        large_settings = settings_for(Path(tmp), args.backend, "large")
        large, large_gate = await measure(large_settings, screener, args.held, args.repeat)
        before = baseline_ms(large_gate, max(3, args.repeat // 3))
        report_before = baseline_ms(large_gate, max(3, args.repeat // 3), None)
        for gate in (small_gate, large_gate):
            gate.close()
    print(f"backend {args.backend}; medians of {args.repeat} requests, milliseconds")
    print(f"| page | {args.small:,} messages | {args.held:,} messages | ratio |")
    print("|---|---:|---:|---:|")
    for name in PAGES:
        print(
            f"| {name} | {small[name]:.1f} | {large[name]:.1f} | {large[name] / small[name]:.2f} |"
        )
    default = large["queue, default (held, newest first)"]
    print(
        f"| baseline: main's queue data alone (every held row read) | | {before:.1f} | "
        f"{default / before:.2f} (queue page / baseline) |"
    )
    report = large["report page"]
    print(
        f"| baseline: the report's data before (every message's metadata read) | | "
        f"{report_before:.1f} | {report / report_before:.2f} (report page / baseline) |"
    )


if __name__ == "__main__":
    asyncio.run(main())

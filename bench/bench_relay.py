"""Relay benchmark: piigate vs a pass-through aiosmtpd relay built on the same libraries
(aiosmtpd in, aiosmtplib out), both relaying to the same aiosmtpd sink, on loopback.

    .venv/bin/python bench/bench_relay.py [--messages 300] [--rounds 3] [--mail clean 500 mixed]

The servers run in a child process (one event loop, as in production), the load in this
one: for each mail kind (clean 4 KB; 500 KB CSV attachment) and concurrency (1, 16),
persistent aiosmtplib connections send messages back to back. It prints msgs/s and p50/p99
latency per relay, and piigate's throughput ratio and added latency against the pass-through
relay measured in the same run. Rounds alternate the relays to spread the machine's noise.

The mixed load (``mixed``): 4 clients send small clean mail, alone and then while 5 other
clients keep sending messages with a 20 MB CSV attachment; the small messages' p50 / p99
either way, for the gate as shipped (large mail screened in a lane worker process) and for
one lane (``scan.large_workers: 0``: in the gate's own process), each gate in a process of
its own.

For clean mail a second gate runs as well, the same code with its two latency settings off
(``upstream_smtp.pool_size: 0``, a new upstream connection per message, and
``scan.inline_max_bytes: 0``, every message screened in a worker thread): what those two
settings buy, measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from asyncio.subprocess import PIPE
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
from aiosmtpd.smtp import SMTP

from piigate.config import HostPort, load_settings, shipped_dir
from piigate.keys import create_key_file
from piigate.logs import configure_logging
from piigate.pipeline import build_gate
from piigate.receive.server import GateServer

REPO = Path(__file__).resolve().parents[1]


class Sink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        return "250 OK"


class PassThrough:
    """The baseline: relay every message upstream with aiosmtplib, no screening."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await aiosmtplib.send(
            envelope.original_content,
            sender=envelope.mail_from,
            recipients=envelope.rcpt_tos,
            hostname="127.0.0.1",
            port=self.port,
            start_tls=False,
        )
        return "250 OK relayed"


class BigLines(SMTP):  # type: ignore[misc]
    line_length_limit = 1 << 20


async def _listen(handler: Any) -> int:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: BigLines(handler, decode_data=False, hostname="bench"), "127.0.0.1", 0
    )
    return int(server.sockets[0].getsockname()[1])


OFF = "piigate, pool and inline off"
"""The second gate: ``upstream_smtp.pool_size: 0`` and ``scan.inline_max_bytes: 0``."""
ONE_LANE = "piigate, one lane"
"""The third gate: ``scan.large_workers: 0`` (large mail screened in the gate's process)."""


GATES: dict[str, dict[str, int]] = {
    "piigate": {},
    OFF: {"pool_size": 0, "inline_max_bytes": 0},
    ONE_LANE: {"large_workers": 0},
}


async def serve(gates: list[str]) -> None:
    """Child process: sink, pass-through relay and the named ``GATES``; print their ports;
    run until stdin closes."""
    sink_port = await _listen(Sink())
    ports = {"passthrough": await _listen(PassThrough(sink_port))}
    for name in gates:
        gate = await _start_gate(sink_port, **GATES[name])
        ports[name] = gate.address[1]
    print(json.dumps(ports), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def _start_gate(sink_port: int, **latency: int) -> GateServer:
    """A gate relaying to the sink, with its own ledger and quarantine; ``latency`` sets
    ``pool_size``, ``inline_max_bytes`` or ``large_workers`` (default: as shipped)."""
    folder = Path(tempfile.mkdtemp(prefix="piigate-bench-"))
    create_key_file(folder / "q.key")
    create_key_file(folder / "l.key")
    base = load_settings(shipped_dir() / "config" / "piigate.yaml")
    settings = base.model_copy(
        update={
            "listen": HostPort("127.0.0.1", 0),
            "upstream": HostPort("127.0.0.1", sink_port),
            "ledger": base.ledger.model_copy(
                update={"url": f"sqlite:///{folder}/l.db", "key_file": folder / "l.key"}
            ),
            "quarantine": base.quarantine.model_copy(
                update={
                    "dir": folder / "q",
                    "key_file": folder / "q.key",
                    "url": f"sqlite:///{folder}/q.db",
                }
            ),
            "log": base.log.model_copy(update={"level": "warning"}),
        }
    )
    if "pool_size" in latency:
        pool = settings.upstream_smtp.model_copy(update={"pool_size": latency.pop("pool_size")})
        settings = settings.model_copy(update={"upstream_smtp": pool})
    if latency:
        settings = settings.model_copy(update={"scan": settings.scan.model_copy(update=latency)})
    configure_logging(settings.log)
    built = build_gate(settings)
    # as ``piigate serve`` does before listening (a gate before the lane: its readers only)
    await asyncio.to_thread(getattr(built, "start_workers", built.screener.start_workers))
    gate = GateServer(built, settings.listen, settings.smtp)
    await gate.start()
    return gate


def clean_mail(rng: random.Random) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "alice@dhs.gov", "bob@fbi.gov", "Weekly notes"
    words = ["budget", "meeting", "review", "schedule", "draft", "team", "report", "plan"]
    body = " ".join(rng.choice(words) for _ in range(640))
    msg.set_content("\n".join(body[i : i + 72] for i in range(0, len(body), 72))[:4000])
    return msg.as_bytes()


def csv_mail(rng: random.Random, size: int = 500_000) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "alice@dhs.gov", "bob@fbi.gov", "Inventory"
    msg.set_content("The inventory is attached.\n")
    rows = ["item,site,count,price"]
    total = len(rows[0]) + 1
    while total < size:
        rows.append(
            f"part-{rng.randint(1, 99999)},site {rng.randint(1, 40)},"
            f"{rng.randint(1, 500)},{rng.randint(1, 9999) / 100}"
        )
        total += len(rows[-1]) + 1
    msg.add_attachment(
        "\n".join(rows).encode(), maintype="text", subtype="csv", filename="inventory.csv"
    )
    return msg.as_bytes()


async def load(
    port: int, raw: bytes, messages: int, concurrency: int
) -> tuple[float, list[float], int]:
    """Send ``messages`` over ``concurrency`` persistent connections; return accepted msgs/s,
    the latencies of accepted messages and the count of 4xx answers (e.g. scan timeouts)."""
    latencies: list[float] = []
    tempfailed = 0
    share = [messages // concurrency + (i < messages % concurrency) for i in range(concurrency)]

    async def one_client(count: int) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=120)
        async with client:
            for _ in range(count):
                started = time.perf_counter()
                try:
                    await client.sendmail("alice@dhs.gov", ["bob@fbi.gov"], raw)
                except aiosmtplib.SMTPResponseException as exc:
                    if not 400 <= exc.code < 500:
                        raise
                    nonlocal tempfailed
                    tempfailed += 1
                    continue
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one_client(n) for n in share if n))
    return len(latencies) / (time.perf_counter() - started), latencies, tempfailed


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


async def run(args: argparse.Namespace, ports: dict[str, int]) -> list[dict[str, Any]]:
    rng = random.Random(4)
    kinds = {"clean 4 KB": clean_mail(rng), "500 KB CSV": csv_mail(rng)}
    kinds = {kind: raw for kind, raw in kinds.items() if kind.split()[0] in args.mail}
    rows = []
    for kind, raw in kinds.items():
        gates = ["piigate", OFF] if kind.startswith("clean") else ["piigate"]
        for concurrency in (1, 16):
            count = args.messages if kind.startswith("clean") else max(20, args.messages // 10)
            stats: dict[str, dict[str, list[float]]] = {}
            for relay in ["passthrough", *gates] * args.rounds:
                await load(ports[relay], raw, min(count, 20), concurrency)  # warm-up
                rate, lat, tempfailed = await load(ports[relay], raw, count, concurrency)
                entry = stats.setdefault(relay, {"rate": [], "lat": [], "4xx": []})
                entry["rate"].append(rate)
                entry["lat"].extend(lat or [float("nan")])
                entry["4xx"].append(tempfailed)
            for gate in gates:
                row = compare(stats["passthrough"], stats[gate])
                row = {"mail": kind, "gate": gate, "concurrency": concurrency, **row}
                rows.append(row)
                print(
                    json.dumps(
                        {k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}
                    ),
                    flush=True,
                )
    return rows


async def mixed(args: argparse.Namespace, port: int, gate: str) -> dict[str, Any]:
    """Small clean mail from 4 clients, alone and while 5 other clients keep sending messages
    with a 20 MB CSV attachment: the small messages' p50 / p99 either way. The large senders
    run in a process of their own: preparing a 27 MB DATA (aiosmtplib's whole-message passes)
    would otherwise stall the event loop that times the small messages."""
    small = clean_mail(random.Random(5))
    await load(port, small, 20, 4)  # warm-up
    _, alone, _ = await load(port, small, args.small, 4)
    command = [sys.executable, __file__, "--large-sender", str(port)]
    senders = await asyncio.create_subprocess_exec(
        *command, "--large-bytes", str(args.large_bytes), stdin=PIPE, stdout=PIPE
    )
    assert senders.stdin is not None and senders.stdout is not None
    await senders.stdout.readline()  # the large messages are made; sending starts
    await asyncio.sleep(args.large_head_start)  # the large messages are in and being screened
    _, busy, tempfailed = await load(port, small, args.small, 4)
    senders.stdin.close()
    sent = json.loads(await senders.stdout.readline())
    await senders.wait()
    row: dict[str, Any] = {"gate": gate, **sent, "small 4xx": tempfailed}
    for label, lat in (("alone", alone), ("loaded", busy)):
        row[f"{label}_p50_ms"], row[f"{label}_p99_ms"] = pct(lat, 50), pct(lat, 99)
    row["p99_ratio"] = row["loaded_p99_ms"] / row["alone_p99_ms"]
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}))
    return row


async def send_large(port: int, size: int) -> None:
    """Child process of the mixed load: 5 clients send the large message back to back until
    stdin closes; then print how many were relayed and answered 4xx."""
    large = csv_mail(random.Random(5), size)
    sent = {"large": 0, "large 4xx": 0}

    async def large_client() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=600)
        async with client:
            while True:
                try:
                    await client.sendmail("alice@dhs.gov", ["bob@fbi.gov"], large)
                    sent["large"] += 1
                except aiosmtplib.SMTPResponseException:
                    sent["large 4xx"] += 1

    print("sending", flush=True)
    _running = [asyncio.create_task(large_client()) for _ in range(5)]  # held: tasks run on
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    print(json.dumps(sent), flush=True)
    os._exit(0)  # not QUIT: a session waiting for its message's reply would hold the exit


def mixed_table(rows: list[dict[str, Any]]) -> str:
    header = ["gate", "small alone p50 / p99 ms", "small with 5 large p50 / p99 ms"]
    header += ["p99 ratio", "large relayed / 4xx"]
    return markdown(
        header,
        [
            [
                "as shipped (large lane)" if r["gate"] == "piigate" else "one lane",
                f"{r['alone_p50_ms']:.1f} / {r['alone_p99_ms']:.1f}",
                f"{r['loaded_p50_ms']:.1f} / {r['loaded_p99_ms']:.1f}",
                f"{r['p99_ratio']:.2f}",
                f"{r['large']} / {r['large 4xx']}",
            ]
            for r in rows
        ],
    )


def markdown(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, as the README shows it."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def compare(base: dict[str, list[float]], gate: dict[str, list[float]]) -> dict[str, Any]:
    """One gate against the pass-through relay: rates, percentiles, ratio, added latency."""
    row: dict[str, Any] = {
        "passthrough_msgs_s": statistics.median(base["rate"]),
        "piigate_msgs_s": statistics.median(gate["rate"]),
        "passthrough_p50_ms": pct(base["lat"], 50),
        "passthrough_p99_ms": pct(base["lat"], 99),
        "piigate_p50_ms": pct(gate["lat"], 50),
        "piigate_p99_ms": pct(gate["lat"], 99),
    }
    row["piigate_4xx"] = int(sum(gate["4xx"]))
    row["throughput_ratio"] = row["piigate_msgs_s"] / row["passthrough_msgs_s"]
    row["added_p50_ms"] = row["piigate_p50_ms"] - row["passthrough_p50_ms"]
    row["added_p99_ms"] = row["piigate_p99_ms"] - row["passthrough_p99_ms"]
    return row


def table(rows: list[dict[str, Any]]) -> str:
    header = ["mail", "gate", "conc.", "pass-through msgs/s", "piigate msgs/s", "ratio"]
    header += ["pass-through p50 / p99 ms", "piigate p50 / p99 ms", "added p50 / p99 ms"]
    header += ["piigate 4xx"]
    return markdown(
        header,
        [
            [
                r["mail"],
                "as shipped" if r["gate"] == "piigate" else "pool and inline off",
                str(r["concurrency"]),
                f"{r['passthrough_msgs_s']:.0f}",
                f"{r['piigate_msgs_s']:.0f}",
                f"{r['throughput_ratio']:.2f}",
                f"{r['passthrough_p50_ms']:.1f} / {r['passthrough_p99_ms']:.1f}",
                f"{r['piigate_p50_ms']:.1f} / {r['piigate_p99_ms']:.1f}",
                f"{r['added_p50_ms']:.1f} / {r['added_p99_ms']:.1f}",
                str(r["piigate_4xx"]),
            ]
            for r in rows
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--mail", nargs="*", default=["clean", "500", "mixed"], help="clean, 500 (KB CSV), mixed"
    )
    parser.add_argument("--small", type=int, default=200, help="small messages, mixed load")
    parser.add_argument(
        "--large-bytes", type=int, default=20_000_000, help="CSV size of the large messages"
    )
    parser.add_argument(
        "--mixed-gates",
        nargs="*",
        default=["piigate", ONE_LANE],
        choices=["piigate", ONE_LANE],
        help="gates of the mixed load (default: both)",
    )
    parser.add_argument(
        "--large-head-start",
        type=float,
        default=12.0,
        help="seconds the large messages get to arrive before the small ones are timed "
        "(long enough for all five to be received and in screening)",
    )
    parser.add_argument("--serve", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--large-sender", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve))
        return
    if args.large_sender:
        asyncio.run(send_large(args.large_sender, args.large_bytes))
        return
    rows, mixed_rows = [], []
    if {"clean", "500"} & set(args.mail):
        with servers(["piigate", OFF]) as ports:
            rows = asyncio.run(run(args, ports))
    # Each gate of the mixed load in a process of its own: the large messages a run leaves
    # behind (still being screened when their clients hang up) must not slow the next.
    for gate in args.mixed_gates if "mixed" in args.mail else ():
        with servers([gate]) as ports:
            mixed_rows.append(asyncio.run(mixed(args, ports[gate], gate)))
    if rows:
        print(table(rows))
    if mixed_rows:
        print(mixed_table(mixed_rows))


@contextlib.contextmanager
def servers(gates: list[str]) -> Iterator[dict[str, int]]:
    """A child process serving the sink, the pass-through relay and ``gates``: their ports."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", *gates],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        yield json.loads(child.stdout.readline())
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


if __name__ == "__main__":
    main()

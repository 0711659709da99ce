"""Where the gate screens a message: on its event loop, in a worker thread, or (large mail) in
a worker process of the large lane.

A worker thread lets ``scan.timeout`` answer 451 on time whatever the message holds, at a
price on every message: a hop to the thread and back, and contention for the interpreter
lock between the thread and the event loop (at 16 concurrent sessions it halved the gate's
throughput; see "Benchmarks" in the README). Small mail that is all text does not need it:

    bigger than scan.inline_max_bytes ─────────────────────▶ thread (parse … decide)
    small: parse on the loop ─▶ an attachment, or a part
                                that opens (zip, document …) ─▶ thread (extract … decide)
                             ─▶ all text: extract, detect on the loop (cost follows size)
                                  ─▶ individuals found: decide in a thread (reads the ledger)
                                  ─▶ none: decide on the loop

Either way more than ``scan.timeout`` seconds is a ``TimeoutError`` (the gate's 451), never
a late verdict.

Large mail has a lane of its own (``Lanes``): a message of ``scan.large_min_bytes`` or more
is screened in one of a few worker processes (``scan.large_workers``), outside the gate's
process, at a lower CPU priority (``scan.large_nice``):

    gate's event loop ── raw bytes ──▶ lane worker: its own Screener, built from the gate's
                                       settings (again after a reload): parse → extract →
                                       detect, and decide unless individuals were found
                     ◀── the message (without its raw bytes, which the gate holds),
                         extraction, detection, and the verdict or None
    None ─▶ the gate decides (it reads its ledger's history) in a thread

Screening a 27 MB message holds the interpreter lock for seconds in long C calls (the email
parser, base64, unpickling what the isolated reader sends back): in a thread of the gate's
own process that stalled its event loop, and every small message with it (see "Mixed load"
in the benchmarks). A worker that dies, runs out of memory or passes ``scan.timeout`` (waiting
for a free worker included) costs that message a 451; it is replaced and the next large
message is screened normally.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

import structlog

from piigate.errors import IsolationError, WorkerTimedOut
from piigate.extract import reads_as_text_only
from piigate.isolation import WorkerPool
from piigate.model import Detection, Envelope, Extraction, ParsedMessage, Screening, Verdict
from piigate.parse import parse_message

if TYPE_CHECKING:
    from piigate.config import Settings
    from piigate.pipeline import Screener

log = structlog.get_logger("piigate")

T = TypeVar("T")

LaneResult = tuple[ParsedMessage, Extraction, Detection, Verdict | None]
"""What a lane worker sends back: the message without its raw bytes, what was read and
found, and the verdict (None: individuals were found, and the gate decides with its ledger)."""


@dataclass(frozen=True, slots=True)
class LaneBuild:
    """What a lane worker builds its screener from; a new ``generation`` after each reload."""

    settings: Settings
    generation: int
    nice: int


LaneWork = Callable[[LaneBuild, Envelope, bytes, float], LaneResult]
"""The function a lane worker runs (``piigate.pipeline.screen_in_lane``): top level, so it
pickles by name."""


class Lanes:
    """Large messages screened in a bounded pool of worker processes; the rest stay in the
    gate's process (see the module's docstring)."""

    def __init__(self, settings: Settings, work: LaneWork) -> None:
        """``scan.large_workers`` 0 (or ``scan.large_min_bytes`` 0): no lane."""
        scan = settings.scan
        self.large_min_bytes = scan.large_min_bytes
        self.workers = scan.large_workers if scan.large_min_bytes else 0
        self.build = LaneBuild(settings, 0, scan.large_nice)
        self._work = work
        self.pool = WorkerPool(self.workers, None, scan.timeout, preload=("piigate.pipeline",))
        # One thread per worker waits on its pipe (the interpreter lock released meanwhile);
        # the messages beyond those wait on the event loop, holding no thread.
        self._waiters = ThreadPoolExecutor(max(self.workers, 1), "piigate-large")
        self._slots: asyncio.Semaphore | None = None
        self.busy = 0
        """Messages in the workers' hands now."""

    def takes(self, size: int) -> bool:
        return self.workers > 0 and size >= self.large_min_bytes

    def start(self) -> None:
        """Start the workers and build their screeners now rather than on the first large
        message (blocking: call it in a thread)."""
        if not self.workers:
            return
        self.pool.start()
        warm = functools.partial(self.pool.run, self._work, self.build, Envelope("", ()), b"", 0.0)
        try:  # an empty message: each worker builds its screener (one call per worker at once)
            list(self._waiters.map(lambda _: warm(), range(self.workers)))
        except IsolationError as exc:  # the first large message will try again
            log.warning("large lane not warmed", error=type(exc).__name__)

    def reload(self, settings: Settings) -> None:
        """Screen the next large messages with ``settings`` (rules, policy …) — each worker
        builds its screener again; the messages being screened finish under the old ones."""
        self.build = LaneBuild(settings, self.build.generation + 1, self.build.nice)

    async def screen(
        self, screener: Screener, envelope: Envelope, raw: bytes, timeout: float
    ) -> Screening:
        """Screen ``raw`` in a worker; ``TimeoutError`` after ``timeout`` seconds (waiting
        for a free worker included), an ``IsolationError`` when the worker failed."""
        started = time.monotonic()
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        async with asyncio.timeout(timeout), self._slots:
            left = _left(started, timeout)
            call = functools.partial(self.pool.run, self._work, self.build, envelope, raw, left)
            loop = asyncio.get_running_loop()
            self.busy += 1
            try:
                result = await loop.run_in_executor(self._waiters, lambda: call(timeout=left))
            except WorkerTimedOut:
                raise TimeoutError from None
            finally:
                self.busy -= 1
        message, extraction, detection, verdict = result
        message = replace(message, raw=raw)
        if verdict is not None:
            return Screening(envelope, message, extraction, detection, verdict)
        return await _in_thread(
            _left(started, timeout), screener.conclude, envelope, message, extraction, detection
        )

    def close(self) -> None:
        """Stop the workers (one busy with a message is killed: that message gets a 451)."""
        self.pool.close()
        self._waiters.shutdown(wait=False, cancel_futures=True)


async def screen_within(
    screener: Screener,
    envelope: Envelope,
    raw: bytes,
    timeout: float,
    inline_max_bytes: int,
    *,
    lanes: Lanes | None = None,
) -> Screening:
    """Screen ``raw``; ``TimeoutError`` once it has taken more than ``timeout`` seconds."""
    if lanes is not None and lanes.takes(len(raw)):
        return await lanes.screen(screener, envelope, raw, timeout)
    if len(raw) > inline_max_bytes:
        return await _in_thread(timeout, screener.screen, envelope, raw)
    started = time.monotonic()
    message = parse_message(raw, screener.extraction)
    if not reads_as_text_only(message):
        return await _in_thread(_left(started, timeout), screener.screen_parsed, envelope, message)
    extraction, detection = screener.examine(message)
    if screener.policy.reads_history(detection):
        return await _in_thread(
            _left(started, timeout), screener.conclude, envelope, message, extraction, detection
        )
    screening = screener.conclude(envelope, message, extraction, detection)
    _left(started, timeout)
    return screening


async def _in_thread(
    timeout: float, work: Callable[..., T], *args: object, executor: Executor | None = None
) -> T:
    """``work(*args)`` on ``executor`` (None: the default pool), in this task's context (the
    message's log fields), as ``asyncio.to_thread`` does."""
    call = functools.partial(contextvars.copy_context().run, work, *args)

    async def run() -> T:  # submitted once wait_for runs, so its clock covers the work
        return await asyncio.get_running_loop().run_in_executor(executor, call)

    return await asyncio.wait_for(run(), timeout)


def _left(started: float, timeout: float) -> float:
    """Seconds left of ``timeout``; ``TimeoutError`` when none are."""
    left = timeout - (time.monotonic() - started)
    if left <= 0:
        raise TimeoutError
    return left

"""Where the gate screens a message: on its event loop, or in a worker thread.

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
is screened on a small, bounded pool of threads (``scan.large_workers``), the rest on the
event loop's default pool. A few large messages then wait for each other, not in front of
small ones, and hold at most ``large_workers`` threads contending for the interpreter lock
with the event loop, so small mail keeps flowing while they are screened (see "Mixed load"
in the benchmarks). Time waiting in the lane counts towards ``scan.timeout``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

from piigate.extract import reads_as_text_only
from piigate.model import Envelope, Screening
from piigate.parse import parse_message

if TYPE_CHECKING:
    from piigate.pipeline import Screener

T = TypeVar("T")


class Lanes:
    """Where a message that leaves the event loop is screened: a bounded pool of threads for
    large messages, the event loop's default pool for the rest."""

    def __init__(self, large_min_bytes: int, large_workers: int) -> None:
        """``large_workers`` 0 (or ``large_min_bytes`` 0): one lane, the default pool."""
        self.large_min_bytes = large_min_bytes
        self._large = (
            ThreadPoolExecutor(large_workers, thread_name_prefix="piigate-large")
            if large_workers and large_min_bytes
            else None
        )

    def executor_for(self, size: int) -> Executor | None:
        """The large lane for ``size`` bytes and more; None: the event loop's default pool."""
        if self._large is not None and size >= self.large_min_bytes:
            return self._large
        return None

    def close(self) -> None:
        """Stop the large lane's threads (work already running finishes on its own)."""
        if self._large is not None:
            self._large.shutdown(wait=False, cancel_futures=True)


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
    executor = lanes.executor_for(len(raw)) if lanes is not None else None
    if executor is not None or len(raw) > inline_max_bytes:
        return await _in_thread(timeout, screener.screen, envelope, raw, executor=executor)
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

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
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from piigate.extract import reads_as_text_only
from piigate.model import Envelope, Screening
from piigate.parse import parse_message

if TYPE_CHECKING:
    from piigate.pipeline import Screener

T = TypeVar("T")


async def screen_within(
    screener: Screener, envelope: Envelope, raw: bytes, timeout: float, inline_max_bytes: int
) -> Screening:
    """Screen ``raw``; ``TimeoutError`` once it has taken more than ``timeout`` seconds."""
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


async def _in_thread(timeout: float, work: Callable[..., T], *args: object) -> T:
    return await asyncio.wait_for(asyncio.to_thread(work, *args), timeout)


def _left(started: float, timeout: float) -> float:
    """Seconds left of ``timeout``; ``TimeoutError`` when none are."""
    left = timeout - (time.monotonic() - started)
    if left <= 0:
        raise TimeoutError
    return left

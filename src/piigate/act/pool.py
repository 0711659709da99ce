"""Persistent SMTP connections to the upstream MTA, reused across messages.

Opening a connection costs the banner and EHLO round trips (and STARTTLS when on), on both
ends, for every message; a pool keeps a few connections open between messages instead.

    take ──▶ a connection idle in the pool (reused) or a new one (connected, EHLO done)
    give_back ──▶ after a completed transaction: idle until taken, or closed (QUIT) after
                  ``idle`` seconds or when the pool is full
    discard ──▶ after any failure: closed, never reused

Only a connection whose last transaction completed goes back, so the upstream's state is
already reset (RFC 5321 4.1.1.4) and no RSET is needed. A connection the upstream closed
while it was idle is noticed (not connected) and dropped when taken. The pool never decides
about retries: ``Relay`` does (only when the upstream provably did not get DATA).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import aiosmtplib

C = TypeVar("C", bound=aiosmtplib.SMTP)

QUIT_TIMEOUT = 5.0
"""Seconds to wait for the upstream's answer to QUIT when closing an idle connection."""


@dataclass(slots=True)
class _Idle(Generic[C]):
    client: C
    expiry: asyncio.TimerHandle


class UpstreamPool(Generic[C]):
    def __init__(self, connect: Callable[[], Awaitable[C]], size: int, idle: float) -> None:
        """``connect`` opens a new connection (EHLO done); at most ``size`` idle ones are kept,
        each for at most ``idle`` seconds."""
        self.connect = connect
        self.size = size
        self.idle = idle
        self.opened = 0
        """Connections opened so far (for tests and the benchmark)."""
        self._idle: list[_Idle[C]] = []
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    async def take(self, *, fresh: bool = False) -> tuple[C, bool]:
        """A connection for one transaction, and whether it was used before (``fresh``: a new
        one, e.g. to retry after a reused one turned out to be gone)."""
        while self._idle and not fresh:
            entry = self._idle.pop()  # the most recently used: least likely to be stale
            entry.expiry.cancel()
            if entry.client.is_connected:
                return entry.client, True
            entry.client.close()
        client = await self.connect()
        self.opened += 1
        return client, False

    def give_back(self, client: C) -> None:
        """Keep ``client`` (its transaction completed) for the next message, if there is room."""
        if self._closed or len(self._idle) >= self.size or not client.is_connected:
            self._quit_later(client)
            return
        loop = asyncio.get_running_loop()
        entry = _Idle(client, loop.call_later(self.idle, lambda: self._expire(client)))
        self._idle.append(entry)

    @staticmethod
    def discard(client: aiosmtplib.SMTP) -> None:
        """Close ``client`` after a failure: its state is unknown, so it is never reused."""
        client.close()

    @property
    def idle_count(self) -> int:
        return len(self._idle)

    async def close(self) -> None:
        """QUIT every idle connection; connections given back later are closed, not kept."""
        self._closed = True
        while self._idle:
            entry = self._idle.pop()
            entry.expiry.cancel()
            self._quit_later(entry.client)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def close_now(self) -> None:
        """Close idle connections without QUIT (from synchronous code, e.g. ``Gate.close``)."""
        self._closed = True
        while self._idle:
            entry = self._idle.pop()
            entry.expiry.cancel()
            entry.client.close()

    def _expire(self, client: C) -> None:
        for index, entry in enumerate(self._idle):
            if entry.client is client:
                del self._idle[index]
                self._quit_later(client)
                return

    def _quit_later(self, client: aiosmtplib.SMTP) -> None:
        task = asyncio.get_running_loop().create_task(_quit(client))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


async def _quit(client: aiosmtplib.SMTP) -> None:
    """Say QUIT and close; a connection that is already gone is simply closed."""
    try:
        if client.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                await client.quit(timeout=QUIT_TIMEOUT)
    finally:
        client.close()

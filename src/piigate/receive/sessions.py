"""Which SMTP connections are open and how many messages are being screened, so that a
SIGTERM can stop accepting, let messages in flight finish, then close what is left."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class SessionTracker:
    def __init__(self) -> None:
        self.connections: set[Any] = set()
        self.closing = False
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        self._busy += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._busy -= 1
            if self._busy == 0:
                self._idle.set()

    @property
    def busy(self) -> int:
        return self._busy

    async def wait_idle(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def wait_disconnected(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) until every connection has closed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.connections and loop.time() < deadline:
            await asyncio.sleep(0.05)

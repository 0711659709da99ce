"""Sessions take turns on the event loop while a large message is received.

aiosmtpd reads DATA a line at a time, and a read from a buffer that already holds the next
line returns without letting the event loop run. A client sending a 27 MB message keeps up
to two stream limits (``smtp.max_line_length``, 1 MiB) buffered, so each refill was tens of
thousands of lines read in one go while every other session waited; with a few large
messages arriving, a small message's every round trip (MAIL, RCPT, DATA) waited behind them.
``TakingTurns`` lets the loop run every ``TURN_LINES`` lines, which costs a small message
nothing (it is shorter than that) and a large one one loop pass per turn.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from asyncio.streams import _ReaduntilBuffer

TURN_LINES = 128
"""Lines read before the event loop runs other sessions once."""


class TakingTurns(asyncio.StreamReader):
    """A ``StreamReader`` whose ``readuntil`` yields to the event loop every ``TURN_LINES``
    calls, whether or not the line was already buffered."""

    _lines = 0

    async def readuntil(self, separator: _ReaduntilBuffer = b"\n") -> bytes:
        self._lines += 1
        if self._lines % TURN_LINES == 0:
            await asyncio.sleep(0)
        return await super().readuntil(separator)

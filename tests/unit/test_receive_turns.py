"""A large message's DATA, already buffered, is read with turns for the other sessions."""

from __future__ import annotations

import asyncio

from piigate.receive.turns import TURN_LINES, TakingTurns

LINES = TURN_LINES * 10


async def turns_while_reading(reader: asyncio.StreamReader) -> int:
    """How often another task ran while ``LINES`` buffered lines were read."""
    reader.feed_data(b"line\r\n" * LINES)
    turns = 0

    async def other_session() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_session())
    await asyncio.sleep(0)
    before = turns
    for _ in range(LINES):
        assert await reader.readuntil(b"\r\n") == b"line\r\n"
    other.cancel()
    return turns - before


async def test_buffered_lines_let_other_sessions_run_while_they_are_read() -> None:
    """Every ``TURN_LINES`` lines, another task gets the event loop."""
    assert await turns_while_reading(TakingTurns(limit=1 << 20)) >= LINES // TURN_LINES - 1


async def test_a_plain_reader_gives_no_turn_so_the_probe_can_fail() -> None:
    """The same probe over asyncio's own reader counts no turn while reading."""
    assert await turns_while_reading(asyncio.StreamReader(limit=1 << 20)) == 0

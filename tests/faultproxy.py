"""A real TCP proxy on loopback that can be told to misbehave, for the fault catalogue: put it
between the gate and the upstream MTA, or between the gate and PostgreSQL, and switch its
mode while traffic flows.

    pass      forward both ways
    slow      forward, each chunk delayed ``delay`` seconds
    silent    accept new connections and never answer (a hung server)
    refuse    close new connections at once (a server that is down)
    drop      forward until the client sends DATA, then cut the connection mid-transaction
    down      cut every open connection now, and refuse new ones
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Literal

Mode = Literal["pass", "slow", "silent", "refuse", "drop", "down"]


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode: Mode = "pass"
        self.delay = 0.3
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def set(self, mode: Mode) -> None:
        self.mode = mode
        if mode == "down":
            for writer in list(self._open):
                writer.transport.abort()

    async def stop(self) -> None:
        self.set("down")
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode in ("refuse", "down"):
            writer.transport.abort()
            return
        if self.mode == "silent":
            self._open.add(writer)
            with contextlib.suppress(OSError):
                await reader.read()  # until the client gives up
            self._close(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._open.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer, watch_data=True),
            self._pipe(up_reader, writer, watch_data=False),
        )

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, watch_data: bool
    ) -> None:
        try:
            while chunk := await reader.read(65536):
                if self.mode == "slow":
                    await asyncio.sleep(self.delay)
                if watch_data and self.mode == "drop" and b"DATA\r\n" in chunk.upper():
                    writer.write(chunk)
                    await writer.drain()
                    await asyncio.sleep(0.2)  # the 354 goes back, the content starts, then
                    self.set("down")  # the line is cut
                    return
                writer.write(chunk)
                await writer.drain()
        except OSError:
            pass
        finally:
            self._close(writer)

    def _close(self, writer: asyncio.StreamWriter) -> None:
        self._open.discard(writer)
        writer.close()


class ProxyThread:
    """A ``FaultProxy`` on an event loop of its own, in a thread: the gate opens its ledger
    synchronously on its loop, so a proxy on that same loop could never answer."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.proxy = FaultProxy(target_host, target_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    def start(self) -> int:
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self.proxy.start(), self._loop).result(10)
        return self.port

    def set(self, mode: Mode) -> None:
        """Switch the mode, and return only once the proxy's loop has switched."""

        async def switch() -> None:
            self.proxy.set(mode)

        asyncio.run_coroutine_threadsafe(switch(), self._loop).result(10)

    @property
    def delay(self) -> float:
        return self.proxy.delay

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.proxy.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

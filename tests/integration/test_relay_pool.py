"""Pooled upstream connections: reused across messages, never the cause of a lost or doubled
message, closed when the gate stops. The upstream is a real aiosmtpd server that counts its
connections and can misbehave on a connection's second transaction, as a restarting or
timing-out MTA does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from piigate.act.pool import UpstreamPool
from piigate.act.relay import Relay
from piigate.config import HostPort, Settings
from piigate.model import Envelope
from piigate.pipeline import Screener
from tests.conftest import RunningGate, SinkSMTP, send, settings_for, start_gate
from tests.synthetic import message


@dataclass
class Upstream:
    """An aiosmtpd handler that records what reached it, per connection."""

    messages: list[bytes] = field(default_factory=list)
    connections: int = 0
    live: set[Any] = field(default_factory=set)
    quits: int = 0
    second_mail: str | None = None
    """On a connection's second MAIL: ``drop`` hangs up without a reply; ``421`` answers
    421 and hangs up (a restarting Postfix)."""
    drop_second_data: bool = False
    """On a connection's second DATA: hang up after the content, before the reply."""
    data_delay: float = 0.0
    """Seconds to wait before answering DATA (an upstream slow to queue)."""

    async def handle_MAIL(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        session.mails = getattr(session, "mails", 0) + 1
        if session.mails == 2 and self.second_mail == "drop":
            server.transport.abort()
            return "250 never sent"
        if session.mails == 2 and self.second_mail == "421":
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.3.2 Service shutting down"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(self.data_delay)
        if session.mails == 2 and self.drop_second_data:
            server.transport.abort()
            return "250 never sent"
        self.messages.append(envelope.original_content)
        return "250 2.0.0 OK"

    @property
    def open_connections(self) -> int:
        return len(self.live)

    def hang_up(self) -> None:
        """Close every connection from the server side (an idle timeout, a restart)."""
        for protocol in list(self.live):
            protocol.transport.close()

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.quits += 1
        return "221 Bye"


class CountingSMTP(SinkSMTP):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.event_handler.connections += 1
        self.event_handler.live.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self.event_handler.live.discard(self)
        super().connection_lost(error)


@dataclass
class RunningUpstream:
    handler: Upstream
    address: HostPort


@pytest.fixture
async def upstream() -> AsyncIterator[RunningUpstream]:
    handler = Upstream()
    server = await asyncio.get_running_loop().create_server(
        lambda: CountingSMTP(handler, decode_data=False, hostname="upstream"), "127.0.0.1", 0
    )
    yield RunningUpstream(handler, HostPort("127.0.0.1", server.sockets[0].getsockname()[1]))
    server.close()
    await server.wait_closed()


async def _gate(
    shipped: Settings, tmp_path: Path, screener: Screener, up: RunningUpstream, **pool: Any
) -> RunningGate:
    upstream_smtp = shipped.upstream_smtp.model_copy(update=pool)
    settings = settings_for(shipped, tmp_path, up.address, upstream_smtp=upstream_smtp)
    return await start_gate(settings, screener)


async def _stop(running: RunningGate) -> None:
    await running.server.stop(grace=5)
    running.gate.close()


async def _until(condition: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_one_upstream_connection_carries_consecutive_messages(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, upstream: RunningUpstream
) -> None:
    """Three messages in a row reach the upstream once each over a single connection."""
    running = await _gate(shipped_settings, tmp_path, screener, upstream)
    try:
        for n in range(3):
            code, reply = await send(running.address, message(body=f"Note {n}.\n"))
            assert code == 250, reply
    finally:
        await _stop(running)
    assert len(upstream.handler.messages) == 3
    assert upstream.handler.connections == 1


async def test_pool_size_zero_opens_a_connection_per_message(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, upstream: RunningUpstream
) -> None:
    """With ``pool_size: 0`` every message gets its own connection, closed with QUIT."""
    running = await _gate(shipped_settings, tmp_path, screener, upstream, pool_size=0)
    try:
        for _ in range(2):
            assert (await send(running.address, message()))[0] == 250
    finally:
        await _stop(running)
    assert upstream.handler.connections == 2 and upstream.handler.quits == 2


@pytest.mark.parametrize("how", ["drop", "421"])
async def test_reused_connection_gone_at_mail_is_retried_once_on_a_new_one(
    shipped_settings: Settings,
    tmp_path: Path,
    screener: Screener,
    upstream: RunningUpstream,
    how: str,
) -> None:
    """A pooled connection the upstream drops (or closes with 421) at MAIL, before any
    content, costs nothing: the message goes over a new connection and arrives once."""
    upstream.handler.second_mail = how
    running = await _gate(shipped_settings, tmp_path, screener, upstream)
    try:
        first = await send(running.address, message(body="First.\n"))
        second = await send(running.address, message(body="Second.\n"))
    finally:
        await _stop(running)
    assert first[0] == 250 and second[0] == 250, second
    bodies = [m for m in upstream.handler.messages if b"Second." in m]
    assert len(bodies) == 1 and len(upstream.handler.messages) == 2
    assert upstream.handler.connections == 2


async def test_reused_connection_lost_after_data_is_451_and_never_retried(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, upstream: RunningUpstream
) -> None:
    """Once the content was sent, a lost connection may have delivered the message: the
    client gets 451 (it retries) and the gate does not send it again itself."""
    upstream.handler.drop_second_data = True
    running = await _gate(shipped_settings, tmp_path, screener, upstream)
    try:
        assert (await send(running.address, message(body="First.\n")))[0] == 250
        code, _ = await send(running.address, message(body="Second.\n"))
    finally:
        await _stop(running)
    assert code == 451
    assert upstream.handler.connections == 1


async def test_connection_closed_by_the_upstream_while_idle_is_replaced(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, upstream: RunningUpstream
) -> None:
    """An idle pooled connection the upstream timed out is noticed and not used: the next
    message goes over a new connection and arrives once."""
    running = await _gate(shipped_settings, tmp_path, screener, upstream, pool_idle=60)
    try:
        assert (await send(running.address, message(body="First.\n")))[0] == 250
        pool = running.gate.relay.pool
        assert pool is not None and pool.idle_count == 1
        upstream.handler.hang_up()
        await _until(lambda: upstream.handler.open_connections == 0)
        assert (await send(running.address, message(body="Second.\n")))[0] == 250
    finally:
        await _stop(running)
    assert len(upstream.handler.messages) == 2 and upstream.handler.connections == 2


async def test_idle_connection_is_closed_with_quit_after_pool_idle(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, upstream: RunningUpstream
) -> None:
    """An unused pooled connection is closed politely (QUIT) after ``pool_idle`` seconds, so
    it does not hold one of the upstream's smtpd processes."""
    running = await _gate(shipped_settings, tmp_path, screener, upstream, pool_idle=0.2)
    try:
        assert (await send(running.address, message()))[0] == 250
        await _until(lambda: upstream.handler.open_connections == 0)
        assert upstream.handler.quits == 1
    finally:
        await _stop(running)


async def test_stopping_the_gate_quits_pooled_connections(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, upstream: RunningUpstream
) -> None:
    """``GateServer.stop`` says QUIT on every idle upstream connection; later sends (a
    release from the review pages) use a connection of their own."""
    running = await _gate(shipped_settings, tmp_path, screener, upstream, pool_idle=60)
    assert (await send(running.address, message()))[0] == 250
    assert upstream.handler.open_connections == 1
    await running.server.stop(grace=5)
    await _until(lambda: upstream.handler.open_connections == 0)
    assert upstream.handler.quits == 1 and running.gate.relay.pool is None
    running.gate.close()


async def test_gate_close_closes_pooled_connections(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, upstream: RunningUpstream
) -> None:
    """``Gate.close`` (synchronous) closes idle upstream connections even without a stop."""
    running = await _gate(shipped_settings, tmp_path, screener, upstream, pool_idle=60)
    assert (await send(running.address, message()))[0] == 250
    running.gate.close()
    await _until(lambda: upstream.handler.open_connections == 0)
    await running.server.stop(grace=5)


async def test_pool_keeps_at_most_size_idle_connections(upstream: RunningUpstream) -> None:
    """Connections given back beyond ``size`` are closed with QUIT, not kept."""
    relay = Relay(upstream.address, 5.0, "gate.test", pool_size=1)
    relay.open_pool()
    pool = relay.pool
    assert isinstance(pool, UpstreamPool)
    taken = [await pool.take() for _ in range(3)]
    assert [reused for _, reused in taken] == [False, False, False]
    for client, _ in taken:
        pool.give_back(client)
    assert pool.idle_count == 1
    await _until(lambda: upstream.handler.quits == 2)
    await relay.close_pool()
    assert upstream.handler.quits == 3 and upstream.handler.open_connections == 0


async def test_relay_cancelled_mid_transaction_closes_its_connection(
    upstream: RunningUpstream,
) -> None:
    """A relay cancelled while the upstream has not answered DATA (a shutdown whose grace ran
    out) closes that connection instead of keeping it: its state is unknown."""
    upstream.handler.data_delay = 5.0
    relay = Relay(upstream.address, 10.0, "gate.test", pool_size=2)
    relay.open_pool()
    sending = asyncio.create_task(relay.send(Envelope("a@dhs.gov", ("b@fbi.gov",)), message()))
    await _until(lambda: upstream.handler.open_connections == 1)
    await asyncio.sleep(0.2)  # the content is on its way; the reply is not
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    await _until(lambda: upstream.handler.open_connections == 0)
    assert relay.pool is not None and relay.pool.idle_count == 0
    await relay.close_pool()

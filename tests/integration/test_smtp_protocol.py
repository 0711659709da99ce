"""What Postfix's SMTP client sends must pass: SMTPUTF8, 8BITMIME, long lines, pipelining;
and a SIGTERM lets the message in flight finish while new mail is turned away."""

from __future__ import annotations

import asyncio
import socket

from piigate.config import Settings
from piigate.pipeline import Screener
from tests.conftest import RunningGate, Sink, send, start_gate
from tests.synthetic import message


async def test_smtputf8_and_8bitmime_are_relayed_intact(gate: RunningGate, sink: Sink) -> None:
    raw = (
        "From: josé@dhs.gov\r\nTo: zoë@dhs.gov\r\nSubject: café\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Grüße aus Köln — ½ price\r\n"
    ).encode()
    code, reply = await send(
        gate.address,
        raw,
        mail_from="josé@dhs.gov",
        rcpt_tos=("zoë@dhs.gov",),
        mail_options=("SMTPUTF8", "BODY=8BITMIME"),
    )
    assert code == 250, reply
    received = sink.messages[0]
    assert received.content == raw
    assert received.mail_from == "josé@dhs.gov"
    assert "SMTPUTF8" in received.mail_options
    assert "BODY=8BITMIME" in received.mail_options


async def test_long_lines_are_accepted(gate: RunningGate, sink: Sink) -> None:
    """Lines far beyond RFC 5321's 1000 octets (Postfix can pass them on) are not refused."""
    long_line = "x" * 20_000
    raw = ("From: alice@dhs.gov\nTo: carol@dhs.gov\nSubject: wide\n\n" + long_line + "\n").encode()
    code, reply = await send(gate.address, raw, rcpt_tos=("carol@dhs.gov",))
    assert code == 250, reply
    assert long_line.encode() in sink.messages[0].content


def _pipelined_session(port: int, raw: bytes) -> list[str]:
    """Send MAIL, RCPT, RCPT and DATA in one write, then the message, as a pipelining client."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        reader = sock.makefile("rb")

        def reply() -> str:
            lines = []
            while True:
                line = reader.readline().decode()
                lines.append(line.strip())
                if line[3:4] != "-":
                    return lines[-1]

        assert reply().startswith("220")
        sock.sendall(b"EHLO client.test\r\n")
        assert reply().startswith("250")
        sock.sendall(
            b"MAIL FROM:<alice@dhs.gov>\r\nRCPT TO:<carol@dhs.gov>\r\n"
            b"RCPT TO:<dan@dhs.gov>\r\nDATA\r\n"
        )
        answers = [reply() for _ in range(4)]
        sock.sendall(raw + b".\r\nQUIT\r\n")
        answers += [reply(), reply()]
        return answers


async def test_pipelined_commands_are_answered_in_order(gate: RunningGate, sink: Sink) -> None:
    raw = message(to=("carol@dhs.gov",)).replace(b"\n", b"\r\n")
    answers = await asyncio.to_thread(_pipelined_session, gate.address.port, raw)
    assert [a[:3] for a in answers] == ["250", "250", "250", "354", "250", "221"]
    assert sink.messages[0].rcpt_tos == ["carol@dhs.gov", "dan@dhs.gov"]


async def test_stop_finishes_the_message_in_flight_and_refuses_new_connections(
    settings: Settings, screener: Screener, sink: Sink
) -> None:
    """Graceful shutdown (what SIGTERM triggers): the message being relayed still gets its
    250 and reaches the sink; after that nothing new is accepted."""
    sink.handler.delay = 1.0
    running = await start_gate(settings, screener)
    address = running.address
    in_flight = asyncio.create_task(send(address, message(), rcpt_tos=("carol@dhs.gov",)))
    while not running.server.tracker.busy:
        await asyncio.sleep(0.01)
    await running.server.stop(grace=10)
    code, reply = await in_flight
    assert code == 250, reply
    assert len(sink.messages) == 1
    try:
        refused = False
        await send(address, message())
    except OSError:
        refused = True
    assert refused
    running.gate.close()

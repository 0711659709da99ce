"""Shared fixtures: a real aiosmtpd sink as the upstream MTA, and the gate itself, in-process
on ephemeral loopback ports."""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiosmtpd.smtp import SMTP

from piigate.config import HostPort, Settings, load_settings, shipped_dir
from piigate.keys import create_key_file
from piigate.pipeline import Gate, Screener, build_gate, build_screener
from piigate.receive.server import GateServer

REPO = Path(__file__).resolve().parents[1]

pytest_plugins = ["tests.ledger_fixtures", "tests.office_fixtures"]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    mail_options: list[str]


@dataclass
class SinkHandler:
    messages: list[Received] = field(default_factory=list)
    reply: str | None = None
    """When set, DATA is answered with this instead of accepting."""
    delay: float = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply:
            return self.reply
        self.messages.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                list(envelope.mail_options),
            )
        )
        return "250 2.0.0 OK: queued by sink"


@dataclass
class Sink:
    handler: SinkHandler
    server: asyncio.Server
    address: HostPort

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()


class SinkSMTP(SMTP):  # type: ignore[misc]
    """Like Postfix's smtpd, the sink takes lines longer than RFC 5321's 1000 octets."""

    line_length_limit = 1 << 20


async def start_sink(port: int = 0) -> Sink:
    handler = SinkHandler()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SinkSMTP(handler, enable_SMTPUTF8=True, decode_data=False, hostname="sink"),
        host="127.0.0.1",
        port=port,
    )
    bound = server.sockets[0].getsockname()[1]
    return Sink(handler, server, HostPort("127.0.0.1", bound))


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    s = await start_sink()
    yield s
    await s.stop()


@pytest.fixture(scope="session")
def shipped_settings() -> Settings:
    return load_settings(shipped_dir() / "config" / "piigate.yaml")


@pytest.fixture(scope="session")
def screener(shipped_settings: Settings) -> Iterator[Screener]:
    """Built once: the detector and the shipped rules; its worker processes stopped at the
    end (a gate's close stops them too; they start again when next needed)."""
    screener = build_screener(shipped_settings)
    yield screener
    screener.close()


def settings_for(base: Settings, tmp_path: Path, upstream: HostPort, **update: Any) -> Settings:
    key_file = tmp_path / "keys" / "quarantine.key"
    create_key_file(key_file)
    ledger_key_file = tmp_path / "keys" / "ledger.key"
    create_key_file(ledger_key_file)
    return base.model_copy(
        update={
            "listen": HostPort("127.0.0.1", 0),
            "upstream": upstream,
            "ledger": base.ledger.model_copy(
                update={"url": f"sqlite:///{tmp_path}/ledger.db", "key_file": ledger_key_file}
            ),
            "quarantine": base.quarantine.model_copy(
                update={
                    "dir": tmp_path / "quarantine",
                    "key_file": key_file,
                    "url": f"sqlite:///{tmp_path}/quarantine.db",
                }
            ),
            **update,
        }
    )


@pytest.fixture
def settings(shipped_settings: Settings, tmp_path: Path, sink: Sink) -> Settings:
    return settings_for(shipped_settings, tmp_path, sink.address)


@dataclass
class RunningGate:
    server: GateServer
    gate: Gate

    @property
    def address(self) -> HostPort:
        host, port = self.server.address
        return HostPort(host, port)

    def records(self) -> list[Any]:
        return self.gate.ledger.records()


async def start_gate(settings: Settings, screener: Screener | None = None) -> RunningGate:
    gate = build_gate(settings, screener)
    server = GateServer(gate, settings.listen, settings.smtp)
    await server.start()
    return RunningGate(server, gate)


@contextlib.asynccontextmanager
async def gate_running(
    settings: Settings, screener: Screener | None = None
) -> AsyncIterator[RunningGate]:
    """A gate listening for the ``async with`` block, then stopped and closed."""
    running = await start_gate(settings, screener)
    try:
        yield running
    finally:
        await running.server.stop(grace=5)
        running.gate.close()


@pytest.fixture
async def gate(settings: Settings, screener: Screener) -> AsyncIterator[RunningGate]:
    async with gate_running(settings, screener) as running:
        yield running


def _send(
    address: HostPort,
    mail_from: str,
    rcpt_tos: list[str],
    content: bytes,
    mail_options: list[str],
) -> tuple[int, str]:
    client = smtplib.SMTP(address.host, address.port, timeout=30)
    try:
        client.ehlo("client.test")
        code, reply = client.mail(mail_from, mail_options)
        if code != 250:
            return code, reply.decode()
        for rcpt in rcpt_tos:
            code, reply = client.rcpt(rcpt)
            if code != 250:
                return code, reply.decode()
        # As an MTA sends it: CRLF line ends (smtplib leaves bytes as they are).
        code, reply = client.data(content.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        return code, reply.decode()
    finally:
        # A stopping gate may answer QUIT 421: that does not undo the reply to DATA.
        with contextlib.suppress(OSError, smtplib.SMTPException):
            client.quit()
        client.close()


async def send(
    address: HostPort,
    content: bytes,
    *,
    mail_from: str = "alice@dhs.gov",
    rcpt_tos: tuple[str, ...] = ("bob@fbi.gov",),
    mail_options: tuple[str, ...] = (),
) -> tuple[int, str]:
    """Send with the stdlib's real SMTP client; return the DATA reply (code, text)."""
    return await asyncio.to_thread(
        _send, address, mail_from, list(rcpt_tos), content, list(mail_options)
    )


@pytest.fixture
def repo() -> Iterator[Path]:
    yield REPO


@pytest.fixture
def delivering_rules(tmp_path: Path) -> Path:
    """A rules folder whose PII rule lets the mail through (as an audit-mode admin might)."""
    folder = tmp_path / "rules-deliver"
    folder.mkdir()
    (folder / "deliver.yaml").write_text(
        "rules:\n"
        "  - id: unencrypted-sensitive-pii\n"
        "    when: sensitive-pii-in-plaintext\n"
        "    scope: {external: true}\n"
        "    action: deliver\n"
        "    message: Delivered under audit ({summary}).\n"
    )
    return folder


FIVE_ORGANIZATIONS = ("fbi.gov", "usdoj.gov", "dia.mil", "opm.gov", "cia.gov")


async def disclose_to_five_organizations(settings: Settings, ssn_value: str) -> None:
    """Run a gate with ``settings`` (rules that deliver PII) and send one person's SSN to five
    outside organisations, so its ledger holds five disclosures of that person."""
    from tests.synthetic import message

    running = await start_gate(settings)
    try:
        for org in FIVE_ORGANIZATIONS:
            code, reply = await send(
                running.address, message(body=f"SSN {ssn_value}\n"), rcpt_tos=(f"agent@{org}",)
            )
            assert code == 250, reply
    finally:
        await running.server.stop(grace=5)
        running.gate.close()


@pytest.fixture(autouse=True)
def _structlog_defaults_after_each_test() -> Iterator[None]:
    """A command run in-process (``CliRunner``) may configure logging for production, which
    caches every logger on first use: afterwards ``capture_logs`` in a later test would see
    nothing. Each test ends with structlog's defaults back."""
    yield
    if structlog.get_config().get("cache_logger_on_first_use"):
        structlog.reset_defaults()

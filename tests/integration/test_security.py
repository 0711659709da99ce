"""Never an open relay, TLS on both sides, and hostile SMTP input refused or handled: each
test talks to the real listener over loopback."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import AsyncIterator
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from piigate.config import ClientSettings, HostPort, Settings, TlsSettings
from piigate.errors import ConfigError
from piigate.pipeline import Screener, build_gate
from piigate.receive.auth import hash_password
from piigate.receive.server import GateServer
from piigate.service import Service
from tests.conftest import Sink, SinkHandler, SinkSMTP, send, settings_for
from tests.integration.certs import Pki, make_pki
from tests.integration.service import running_service, smtp_address
from tests.synthetic import message


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


def tuned(base: Settings, tmp_path: Path, sink: Sink, **sections: dict[str, Any]) -> Settings:
    """The test settings with some fields of some sections changed."""
    update = {
        name: getattr(base, name).model_copy(update=fields) for name, fields in sections.items()
    }
    return settings_for(base, tmp_path, sink.address, **update)


async def converse(address: HostPort, payload: bytes) -> str:
    """Send raw bytes as one burst and return everything the gate answered."""
    reader, writer = await asyncio.open_connection(address.host, address.port)
    writer.write(payload)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 30)
    writer.close()
    await writer.wait_closed()
    return answer.decode("ascii", "replace")


def _connect(address: HostPort, source: str) -> smtplib.SMTP:
    return smtplib.SMTP(address.host, address.port, timeout=10, source_address=(source, 0))


async def test_client_outside_the_allowed_networks_is_refused(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """With clients.networks = 127.0.0.1/32 a client on 127.0.0.2 gets 554 before it can say
    anything, while 127.0.0.1 is served."""
    networks = (IPv4Network("127.0.0.1/32"),)
    settings = tuned(shipped_settings, tmp_path, sink, clients={"networks": networks})
    async with running_service(settings, screener) as service:
        address = smtp_address(service)
        with pytest.raises(smtplib.SMTPConnectError) as refused:
            await asyncio.to_thread(_connect, address, "127.0.0.2")
        assert refused.value.smtp_code == 554
        code, _ = await send(address, message())
        assert code == 250
        assert len(sink.messages) == 1


async def test_sessions_beyond_the_limit_are_told_to_come_back(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """With smtp.max_sessions = 2 a third concurrent connection gets 421; once one closes,
    a new one is served."""
    settings = tuned(shipped_settings, tmp_path, sink, smtp={"max_sessions": 2})
    async with running_service(settings, screener) as service:
        address = smtp_address(service)
        first = await asyncio.to_thread(_connect, address, "127.0.0.1")
        second = await asyncio.to_thread(_connect, address, "127.0.0.1")
        with pytest.raises(smtplib.SMTPConnectError) as refused:
            await asyncio.to_thread(_connect, address, "127.0.0.1")
        assert refused.value.smtp_code == 421
        await asyncio.to_thread(first.quit)
        await asyncio.sleep(0.2)
        third = await asyncio.to_thread(_connect, address, "127.0.0.1")
        assert (await asyncio.to_thread(third.noop))[0] == 250
        await asyncio.to_thread(third.quit)
        await asyncio.to_thread(second.quit)


async def test_recipients_beyond_the_limit_get_452(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """With smtp.max_recipients = 2 the third RCPT is answered 452 (send it later) and the
    message goes to the two accepted recipients only."""
    settings = tuned(shipped_settings, tmp_path, sink, smtp={"max_recipients": 2})
    async with running_service(settings, screener) as service:
        answer = await converse(
            smtp_address(service),
            b"EHLO c\r\nMAIL FROM:<alice@dhs.gov>\r\nRCPT TO:<a@dhs.gov>\r\n"
            b"RCPT TO:<b@dhs.gov>\r\nRCPT TO:<c@dhs.gov>\r\nDATA\r\n"
            b"Subject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n",
        )
    assert "452 4.5.3" in answer
    assert [m.rcpt_tos for m in sink.messages] == [["a@dhs.gov", "b@dhs.gov"]]


async def test_message_size_limit_is_announced_and_enforced(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """smtp.max_message_size is announced in EHLO SIZE; a larger declared SIZE is refused at
    MAIL and a larger message at the end of DATA, both 552, and nothing is relayed."""
    settings = tuned(shipped_settings, tmp_path, sink, smtp={"max_message_size": 2000})
    async with running_service(settings, screener) as service:
        address = smtp_address(service)
        answer = await converse(
            address, b"EHLO c\r\nMAIL FROM:<alice@dhs.gov> SIZE=5000\r\nQUIT\r\n"
        )
        assert "250-SIZE 2000" in answer and "552" in answer
        code, _ = await send(address, message(body=("x" * 60 + "\n") * 100))
        assert code == 552
    assert sink.messages == []


async def test_starttls_on_the_listener_with_the_configured_certificate(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink, pki: Pki
) -> None:
    """With tls.cert_file/key_file set and tls.required, the gate refuses MAIL before
    STARTTLS (530) and takes mail over TLS with a certificate that verifies against the CA."""
    tls = {"cert_file": pki.cert_file, "key_file": pki.key_file, "required": True}
    settings = tuned(shipped_settings, tmp_path, sink, tls=tls)
    async with running_service(settings, screener) as service:
        address = smtp_address(service)
        answer = await converse(address, b"EHLO c\r\nMAIL FROM:<alice@dhs.gov>\r\nQUIT\r\n")
        assert "250-STARTTLS" in answer and "530" in answer

        def over_tls() -> str:
            context = ssl.create_default_context(cafile=str(pki.ca_file))
            with smtplib.SMTP(address.host, address.port, timeout=10) as client:
                client.starttls(context=context)
                client.sendmail("alice@dhs.gov", ["bob@fbi.gov"], message())
                sock = client.sock
                assert isinstance(sock, ssl.SSLSocket)
                return str(sock.version())

        version = await asyncio.to_thread(over_tls)
    assert version in ("TLSv1.2", "TLSv1.3")
    assert len(sink.messages) == 1


@pytest.fixture
async def tls_sink(pki: Pki) -> AsyncIterator[Sink]:
    """An upstream that offers STARTTLS with the test CA's certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.cert_file, pki.key_file)
    handler = SinkHandler()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SinkSMTP(handler, tls_context=context, require_starttls=True, hostname="sink"),
        host="127.0.0.1",
        port=0,
    )
    sink = Sink(handler, server, HostPort("127.0.0.1", server.sockets[0].getsockname()[1]))
    yield sink
    await sink.stop()


@pytest.mark.parametrize(
    ("upstream_tls", "expected", "delivered"),
    [
        ({"starttls": True, "ca_file": "CA"}, 250, 1),
        ({"starttls": True}, 451, 0),
        ({"starttls": True, "verify": False}, 250, 1),
    ],
    ids=["verified-with-configured-ca", "unknown-ca-refused", "verify-off"],
)
async def test_starttls_to_the_upstream_verifies_by_default(
    shipped_settings: Settings,
    tmp_path: Path,
    screener: Screener,
    tls_sink: Sink,
    pki: Pki,
    upstream_tls: dict[str, Any],
    expected: int,
    delivered: int,
) -> None:
    """The relay's STARTTLS verifies the upstream's certificate: against a configured CA it
    delivers; against the system CAs an unknown issuer is a 451 (nothing sent in clear);
    verify off delivers."""
    fields = {k: (pki.ca_file if v == "CA" else v) for k, v in upstream_tls.items()}
    settings = tuned(shipped_settings, tmp_path, tls_sink, upstream_smtp=fields)
    async with running_service(settings, screener) as service:
        code, _ = await send(smtp_address(service), message())
    assert code == expected
    assert len(tls_sink.messages) == delivered


@pytest.mark.parametrize(
    "command",
    [b"MAIL FROM:<ali\x00ce@dhs.gov>", b"MAIL FROM:<alice@dhs.gov\rRCPT TO:<eve@evil.test>>"],
    ids=["nul", "bare-cr"],
)
async def test_control_characters_in_the_sender_are_refused(
    gate: Any, sink: Sink, command: bytes
) -> None:
    """NUL or a bare CR inside MAIL FROM is refused with a 5xx; no envelope is opened."""
    answer = await converse(gate.address, b"EHLO c\r\n" + command + b"\r\nQUIT\r\n")
    assert answer.splitlines()[-2][:1] == "5"
    assert sink.messages == []


async def test_control_characters_in_a_recipient_are_refused(gate: Any, sink: Sink) -> None:
    """A recipient carrying NUL or another control is refused (553); the clean one is kept."""
    answer = await converse(
        gate.address,
        b"EHLO c\r\nMAIL FROM:<alice@dhs.gov>\r\nRCPT TO:<eve\x00@evil.test>\r\n"
        b"RCPT TO:<carol@dhs.gov>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n",
    )
    assert "553 5.1.3" in answer
    assert [m.rcpt_tos for m in sink.messages] == [["carol@dhs.gov"]]


async def test_bare_lf_dot_does_not_end_data_or_smuggle_a_second_message(
    gate: Any, sink: Sink
) -> None:
    """LF.LF inside DATA is content, not the end of the message: one message is relayed, to
    the real recipient only, and the would-be smuggled commands stay inside its body."""
    answer = await converse(
        gate.address,
        b"EHLO c\r\nMAIL FROM:<alice@dhs.gov>\r\nRCPT TO:<carol@dhs.gov>\r\nDATA\r\n"
        b"Subject: x\r\n\r\nhi\n.\nMAIL FROM:<eve@evil.test>\r\nRCPT TO:<eve@evil.test>\r\n"
        b"DATA\r\nsmuggled\r\n.\r\nQUIT\r\n",
    )
    assert answer.count("250 2.0.0") == 1
    assert len(sink.messages) == 1
    assert sink.messages[0].rcpt_tos == ["carol@dhs.gov"]
    assert b"smuggled" in sink.messages[0].content


async def test_nul_bytes_in_a_message_are_refused(gate: Any, sink: Sink) -> None:
    """Raw NUL bytes in the content are refused with 554 5.6.0 and never passed on."""
    code, reply = await send(gate.address, b"Subject: x\r\n\r\nbody\x00more\r\n")
    assert code == 554 and "NUL" in reply
    assert sink.messages == []


async def test_8bit_headers_are_screened_and_relayed_byte_for_byte(gate: Any, sink: Sink) -> None:
    """Raw UTF-8 in a header without SMTPUTF8 is screened without a fault and relayed as
    received, byte for byte."""
    raw = "Subject: Caf\u00e9 r\u00e9sum\u00e9\r\nFrom: alice@dhs.gov\r\n\r\nhi\r\n".encode()
    code, _ = await send(gate.address, raw, rcpt_tos=("carol@dhs.gov",))
    assert code == 250
    assert sink.messages[0].content == raw


async def test_oversized_command_and_content_lines_are_refused(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """A command line over 512 octets is answered 500; a content line over
    smtp.max_line_length fails the message with a 5xx and nothing is relayed."""
    settings = tuned(shipped_settings, tmp_path, sink, smtp={"max_line_length": 1001})
    async with running_service(settings, screener) as service:
        address = smtp_address(service)
        answer = await converse(address, b"EHLO c\r\nNOOP " + b"a" * 2000 + b"\r\nQUIT\r\n")
        assert "500" in answer
        code, _ = await send(address, b"Subject: x\r\n\r\n" + b"b" * 3000 + b"\r\n")
        assert 500 <= code < 600
    assert sink.messages == []


@pytest.fixture
def auth_file(tmp_path: Path) -> Path:
    path = tmp_path / "clients.auth"
    path.write_text(f"# relay accounts\nrelay1:{hash_password('correct horse')}\n")
    return path


def _auth_and_send(address: HostPort, pki: Pki, password: str | None) -> tuple[int, bytes]:
    """From 127.0.0.2: STARTTLS, AUTH (unless password is None), then one message."""
    context = ssl.create_default_context(cafile=str(pki.ca_file))
    with _connect(address, "127.0.0.2") as client:
        client.starttls(context=context)
        if password is not None:
            try:
                client.login("relay1", password)
            except smtplib.SMTPAuthenticationError as exc:
                return exc.smtp_code, exc.smtp_error
        try:
            client.sendmail("alice@dhs.gov", ["bob@fbi.gov"], message())
        except smtplib.SMTPSenderRefused as exc:
            return exc.smtp_code, exc.smtp_error
    return 250, b""


async def test_clients_outside_the_networks_may_send_only_after_tls_and_auth(
    shipped_settings: Settings,
    tmp_path: Path,
    screener: Screener,
    sink: Sink,
    pki: Pki,
    auth_file: Path,
) -> None:
    """With clients.auth_file set, a client on 127.0.0.2 (outside 127.0.0.1/32) is admitted
    but gets 530 at MAIL without AUTH, 535 with a wrong password, and sends after STARTTLS
    and AUTH with the right one; AUTH is not even offered before STARTTLS, and no password
    reaches the logs."""
    settings = tuned(
        shipped_settings,
        tmp_path,
        sink,
        clients={"networks": (IPv4Network("127.0.0.1/32"),), "auth_file": auth_file},
        tls={"cert_file": pki.cert_file, "key_file": pki.key_file},
    )
    with capture_logs() as logs:
        async with running_service(settings, screener) as service:
            await _try_every_way_in(service, pki, sink)
    assert len(sink.messages) == 1
    assert "correct horse" not in repr(logs) and "wrong" not in repr(logs)
    assert {"smtp auth"} <= {entry["event"] for entry in logs}


async def _try_every_way_in(service: Service, pki: Pki, sink: Sink) -> None:
    address = smtp_address(service)
    answer = await converse(address, b"EHLO c\r\nQUIT\r\n")
    assert "STARTTLS" in answer and "AUTH" not in answer
    assert (await asyncio.to_thread(_auth_and_send, address, pki, None))[0] == 530
    assert (await asyncio.to_thread(_auth_and_send, address, pki, "wrong"))[0] == 535
    assert sink.messages == []
    code, _ = await asyncio.to_thread(_auth_and_send, address, pki, "correct horse")
    assert code == 250


def test_auth_file_without_tls_or_with_a_bad_line_is_a_one_line_config_error(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, auth_file: Path
) -> None:
    """AUTH is never offered in clear: an auth_file without a certificate is refused at
    start-up, as is a malformed line (named by file and line)."""
    gate = build_gate(settings_for(shipped_settings, tmp_path, HostPort("127.0.0.1", 1)), screener)
    with_auth = ClientSettings(auth_file=auth_file)
    with pytest.raises(ConfigError, match="only over TLS"):
        GateServer(gate, HostPort("127.0.0.1", 0), shipped_settings.smtp, clients=with_auth)
    auth_file.write_text("relay1:plaintext-password\n")
    pki = make_pki(tmp_path / "pki2")
    tls = TlsSettings(cert_file=pki.cert_file, key_file=pki.key_file)
    with pytest.raises(ConfigError, match=rf"{auth_file}:1: expected USER:scrypt"):
        GateServer(
            gate, HostPort("127.0.0.1", 0), shipped_settings.smtp, tls=tls, clients=with_auth
        )
    gate.close()

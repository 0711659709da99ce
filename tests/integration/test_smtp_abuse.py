"""The SMTP door under abuse: password guessing, idle and trickling sessions, too many
connections from one address, and shutdown with clients in every state. Each test runs the
real gate (with its /metrics) and a real sink on loopback; the clients are real sockets,
from 127.0.0.1 or 127.0.0.2 (both loopback, so one machine plays two hosts)."""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import ssl
import threading
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from piigate.config import HostPort, Settings
from piigate.pipeline import Screener
from piigate.receive.auth import Credentials, hash_password
from tests.conftest import Sink, send
from tests.integration.certs import Pki, make_pki
from tests.integration.service import metric, running_service, smtp_address
from tests.integration.test_security import tuned
from tests.synthetic import message

LOCAL_ONLY = (IPv4Network("127.0.0.1/32"),)
"""As trusted_networks: 127.0.0.1 is the agency's MTA, 127.0.0.2 an ordinary host."""


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


@pytest.fixture
def auth_file(tmp_path: Path) -> Path:
    path = tmp_path / "clients.auth"
    path.write_text(f"relay1:{hash_password('correct horse')}\n")
    return path


async def open_session(address: HostPort, source: str = "127.0.0.1") -> tuple[Any, Any, str]:
    """A raw connection from ``source``; returns reader, writer and the first reply."""
    reader, writer = await asyncio.open_connection(
        address.host, address.port, local_addr=(source, 0)
    )
    first = await asyncio.wait_for(reader.readline(), 10)
    return reader, writer, first.decode()


async def close(*writers: Any) -> None:
    for writer in writers:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def last_words(reader: Any, timeout: float = 10) -> str:
    """Everything the gate says until it closes the connection."""
    return (await asyncio.wait_for(reader.read(), timeout)).decode()


def auth_settings(base: Settings, tmp_path: Path, sink: Sink, pki: Pki, auth: Path) -> Settings:
    throttle = base.smtp.auth_throttle.model_copy(
        update={"first_delay": 0.2, "max_delay": 0.4, "failures_before_lockout": 3}
    )
    return tuned(
        base,
        tmp_path,
        sink,
        clients={"networks": LOCAL_ONLY, "auth_file": auth},
        tls={"cert_file": pki.cert_file, "key_file": pki.key_file},
        smtp={"auth_throttle": throttle},
    )


def try_password(address: HostPort, pki: Pki, password: str) -> tuple[int, str]:
    """From 127.0.0.2: STARTTLS, then AUTH as relay1; the AUTH reply."""
    context = ssl.create_default_context(cafile=str(pki.ca_file))
    with smtplib.SMTP(
        address.host, address.port, timeout=20, source_address=("127.0.0.2", 0)
    ) as client:
        client.starttls(context=context)
        client.ehlo("c")
        client.user, client.password = "relay1", password
        try:  # one mechanism, one attempt (login() would try PLAIN, then LOGIN)
            client.auth("PLAIN", client.auth_plain)
        except smtplib.SMTPAuthenticationError as exc:
            return exc.smtp_code, exc.smtp_error.decode()
    return 235, ""


async def test_auth_passwords_are_checked_off_the_event_loop(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink, pki: Pki
) -> None:
    """The scrypt check of an AUTH password runs in the guard's worker threads, never on the
    event loop's thread, where it would stall every other session."""
    auth = tmp_path / "clients.auth"
    auth.write_text(f"relay1:{hash_password('correct horse')}\n")
    settings = auth_settings(shipped_settings, tmp_path, sink, pki, auth)
    threads: list[str] = []
    async with running_service(settings, screener) as service:
        guard = service.smtp.guard
        assert guard is not None
        checked = guard.credentials.verify

        def verify_and_note(user: str, password: bytes) -> bool:
            threads.append(threading.current_thread().name)
            return checked(user, password)

        guard.credentials = Credentials(guard.credentials.hashes)
        guard.credentials.verify = verify_and_note  # type: ignore[method-assign]
        code, _ = await asyncio.to_thread(try_password, smtp_address(service), pki, "correct horse")
    assert code == 235
    assert threads and all(name.startswith("piigate-auth") for name in threads)
    assert threading.main_thread().name not in threads


async def test_auth_failures_slow_down_then_lock_out_the_address_and_user(
    shipped_settings: Settings,
    tmp_path: Path,
    screener: Screener,
    sink: Sink,
    pki: Pki,
    auth_file: Path,
) -> None:
    """Wrong passwords get 535 after a growing delay; the third locks relay1 and 127.0.0.2
    out with 454 4.7.0, even for the right password; /metrics counts both kinds; no
    password reaches the logs."""
    settings = auth_settings(shipped_settings, tmp_path, sink, pki, auth_file)
    with capture_logs() as logs:
        async with running_service(settings, screener) as service:
            address = smtp_address(service)
            answers = [
                await asyncio.to_thread(try_password, address, pki, f"guess-{n}") for n in range(3)
            ]
            locked = await asyncio.to_thread(try_password, address, pki, "correct horse")
            wrong = await metric(service, "piigate_smtp_auth_failures_total", reason="wrong")
            refused = await metric(service, "piigate_smtp_auth_failures_total", reason="locked")
    assert [code for code, _ in answers] == [535, 535, 535]
    assert locked[0] == 454 and "4.7.0" in locked[1]
    assert (wrong, refused) == (3, 1)
    assert "guess-" not in repr(logs) and "correct horse" not in repr(logs)
    assert any(entry["event"] == "smtp auth locked out" for entry in logs)


async def test_sessions_per_address_are_limited_but_the_trusted_mta_is_not(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """With two sessions per address, a third from 127.0.0.2 is told 421 4.7.0 and closed,
    while the trusted 127.0.0.1 may open more; the refusal is counted by limit."""
    settings = tuned(
        shipped_settings,
        tmp_path,
        sink,
        smtp={"max_sessions_per_address": 2, "trusted_networks": LOCAL_ONLY},
    )
    async with running_service(settings, screener) as service:
        address = smtp_address(service)
        held = [await open_session(address, "127.0.0.2") for _ in range(2)]
        assert all(greeting.startswith("220") for _, _, greeting in held)
        _, refused_writer, refused = await open_session(address, "127.0.0.2")
        assert refused.startswith("421 4.7.0")
        trusted = [await open_session(address, "127.0.0.1") for _ in range(3)]
        assert all(greeting.startswith("220") for _, _, greeting in trusted)
        assert await metric(service, "piigate_smtp_session_limits_total", limit="per_address") == 1
        await close(refused_writer, *(writer for _, writer, _ in [*held, *trusted]))


async def test_the_last_session_slot_is_kept_for_trusted_networks(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """With three session slots and one reserved, idle sockets from 127.0.0.2 take two and
    are then refused, and the trusted MTA still gets in and delivers."""
    settings = tuned(
        shipped_settings,
        tmp_path,
        sink,
        smtp={"max_sessions": 3, "reserved_sessions": 1, "trusted_networks": LOCAL_ONLY},
    )
    async with running_service(settings, screener) as service:
        address = smtp_address(service)
        idle = [await open_session(address, "127.0.0.2") for _ in range(2)]
        _, refused_writer, refused = await open_session(address, "127.0.0.2")
        assert refused.startswith("421 4.7.0")
        code, reply = await send(address, message())
        assert code == 250, reply
        await close(refused_writer, *(writer for _, writer, _ in idle))


async def test_an_idle_session_is_told_421_when_the_command_timeout_passes(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """A client that connects and says nothing is answered 421 4.7.0, then disconnected."""
    settings = tuned(shipped_settings, tmp_path, sink, smtp={"session_timeout": 0.5})
    async with running_service(settings, screener) as service:
        reader, writer, greeting = await open_session(smtp_address(service))
        assert greeting.startswith("220")
        assert (await last_words(reader)).startswith("421 4.7.0")
        await close(writer)


async def test_a_trickle_of_commands_cannot_extend_the_session_deadline(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """A client sending NOOP every 0.2 s (well within the command timeout) is still ended
    with 421 4.7.0 once session_deadline has passed."""
    settings = tuned(
        shipped_settings, tmp_path, sink, smtp={"session_timeout": 1.0, "session_deadline": 1.5}
    )
    async with running_service(settings, screener) as service:
        reader, writer, _ = await open_session(smtp_address(service))
        said = ""
        started = asyncio.get_running_loop().time()
        while "421" not in said and asyncio.get_running_loop().time() - started < 10:
            writer.write(b"NOOP\r\n")
            await writer.drain()
            said += (await asyncio.wait_for(reader.readline(), 5)).decode()
            await asyncio.sleep(0.2)
        assert "421 4.7.0" in said
        assert await metric(service, "piigate_smtp_session_limits_total", limit="deadline") == 1
        await close(writer)


async def test_a_message_trickled_slower_than_the_minimum_data_rate_gets_421(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """During DATA a client sending 10 bytes every 0.1 s (100 B/s, under 1000 B/s) is
    answered 421 4.7.0 after one rate window, and nothing is relayed."""
    settings = tuned(
        shipped_settings,
        tmp_path,
        sink,
        smtp={"min_data_rate": 1000, "data_rate_window": 0.5},
    )
    async with running_service(settings, screener) as service:
        reader, writer, _ = await open_session(smtp_address(service))
        writer.write(b"EHLO c\r\nMAIL FROM:<a@dhs.gov>\r\nRCPT TO:<b@dhs.gov>\r\nDATA\r\n")
        await writer.drain()
        heard = b""
        while b"354" not in heard:
            heard += await asyncio.wait_for(reader.readline(), 10)
        answer = b""
        for _ in range(40):
            writer.write(b"Subject: x\r\n")
            await writer.drain()
            try:
                answer = await asyncio.wait_for(reader.readline(), 0.1)
                break
            except TimeoutError:
                continue
        assert answer.startswith(b"421 4.7.0")
        assert sink.messages == []
        await close(writer)


async def test_shutdown_answers_every_client_451_in_a_message_and_421_between(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """When the grace period ends with a message still waiting on a slow upstream, that
    client gets 451 (it keeps the message and retries), so does a client half-way through
    sending its content, and an idle session gets 421: no client is left with a dropped
    connection."""
    sink.handler.delay = 5.0
    settings = tuned(shipped_settings, tmp_path, sink)
    async with running_service(settings, screener) as service:
        address = smtp_address(service)
        idle_reader, idle_writer, _ = await open_session(address)
        sending_reader, sending_writer, _ = await open_session(address)
        sending_writer.write(b"EHLO c\r\nMAIL FROM:<a@dhs.gov>\r\nRCPT TO:<b@dhs.gov>\r\nDATA\r\n")
        sending_writer.write(b"Subject: half a message\r\n")  # ... and the rest never comes
        in_flight = asyncio.create_task(send(address, message()))
        await asyncio.sleep(1.5)  # screened, now waiting on the upstream
        await service.smtp.stop(grace=0.5)
        code, reply = await in_flight
        idle_said = await last_words(idle_reader)
        sending_said = await last_words(sending_reader)
        await close(idle_writer, sending_writer)
    assert code == 451 and "shutting down" in reply
    assert idle_said.startswith("421")
    assert sending_said.splitlines()[-1].startswith("451 4.3.2")

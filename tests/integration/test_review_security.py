"""The review UI's door: the pages served by uvicorn on loopback (over plain HTTP, and over
TLS with a throw-away certificate), a real HTTP client with its cookie jar, the real
quarantine database. Sessions end when they should, sign-in guessing is throttled, every
response carries the security headers, and `piigate review` will not serve plain HTTP
beyond loopback unless told."""

from __future__ import annotations

import asyncio
import re
import socket
import sqlite3
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from structlog.testing import capture_logs

from piigate.cli import main
from piigate.config import HostPort, Settings, ThrottleSettings
from piigate.errors import ConfigError
from piigate.quarantine.analysts import Analysts
from piigate.review.app import build_pages
from piigate.review.security import check_listen, mounts_review
from tests.conftest import RunningGate
from tests.integration.certs import Pki, make_pki

ANALYST, PASSWORD = "pat", "a long analyst passphrase"


@dataclass
class Site:
    url: str
    gate: RunningGate
    ca_file: Path | None = None

    def client(self) -> httpx.AsyncClient:
        verify: Any = (
            True if self.ca_file is None else ssl.create_default_context(cafile=str(self.ca_file))
        )
        return httpx.AsyncClient(base_url=self.url, verify=verify, timeout=20)


@pytest.fixture
async def serve(gate: RunningGate, settings: Settings) -> AsyncIterator[Callable[..., Any]]:
    """Start the review pages with some review settings changed (and TLS when a Pki is
    given); every server started is stopped at the end."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    Analysts(gate.gate.quarantine).add(ANALYST, PASSWORD)

    async def start(pki: Pki | None = None, **review: Any) -> Site:
        tuned = settings.model_copy(update={"review": settings.review.model_copy(update=review)})
        app = build_pages(tuned, gate.gate).app()
        sock = socket.create_server(("127.0.0.1", 0))
        tls = {} if pki is None else {"ssl_certfile": pki.cert_file, "ssl_keyfile": pki.key_file}
        config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False, **tls)
        server = uvicorn.Server(config)
        servers.append((server, asyncio.create_task(server.serve(sockets=[sock]))))
        while not server.started:
            await asyncio.sleep(0.01)
        scheme = "http" if pki is None else "https"
        port = sock.getsockname()[1]
        return Site(f"{scheme}://127.0.0.1:{port}", gate, pki.ca_file if pki else None)

    yield start
    for server, task in servers:
        server.should_exit = True
        await task


async def sign_in(
    client: httpx.AsyncClient, password: str = PASSWORD, name: str = ANALYST
) -> httpx.Response:
    page = await client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, "the sign-in form carries a CSRF token"
    return await client.post(
        "/login", data={"name": name, "password": password, "csrf": csrf.group(1)}
    )


async def signed_in(client: httpx.AsyncClient) -> bool:
    """Whether the queue page is served (not a redirect to sign-in)."""
    return (await client.get("/")).status_code == 200


async def test_every_response_carries_the_security_headers(serve: Any) -> None:
    """Pages, redirects, refusals and not-found answers all carry a CSP without inline script
    or remote content, frame-ancestors 'none', nosniff, no-referrer and no-store; plain
    HTTP gets no HSTS."""
    site = await serve()
    async with site.client() as client:
        responses = [
            await client.get("/login"),
            await client.get("/"),
            await client.post("/logout"),
            await client.get("/no-such-page"),
            await sign_in(client),
            await client.get("/"),
        ]
    assert [r.status_code for r in responses] == [200, 303, 403, 404, 303, 200]
    for response in responses:
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert "http" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in response.headers


async def test_over_tls_hsts_is_sent_and_the_session_cookie_is_secure(
    serve: Any, tmp_path: Path
) -> None:
    """Served over HTTPS, every response has HSTS and the session cookie the Secure flag."""
    site = await serve(make_pki(tmp_path / "pki"))
    async with site.client() as client:
        login = await client.get("/login")
        signed = await sign_in(client)
    assert login.headers["strict-transport-security"].startswith("max-age=")
    cookie = signed.headers["set-cookie"]
    assert "piigate_review=" in cookie and "secure" in cookie.lower()


async def test_sign_out_makes_a_copied_cookie_worthless(serve: Any) -> None:
    """After sign-out, a copy of the session cookie taken before it no longer signs in."""
    site = await serve()
    async with site.client() as client:
        await sign_in(client)
        copied = dict(client.cookies)
        page = await client.get("/")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        assert (await client.post("/logout", data={"csrf": csrf.group(1)})).status_code == 303
    async with site.client() as thief:
        thief.cookies.update(copied)
        assert not await signed_in(thief)


async def test_the_absolute_lifetime_does_not_slide_with_activity(serve: Any) -> None:
    """With a 2 s absolute lifetime, a session used every 0.3 s still ends after 2 s."""
    site = await serve(session_max_age=2, idle_timeout=60)
    async with site.client() as client:
        await sign_in(client)
        states = []
        for _ in range(10):
            states.append(await signed_in(client))
            await asyncio.sleep(0.3)
    assert states[0] and not states[-1]


async def test_an_idle_session_ends(serve: Any) -> None:
    """With a 1 s idle timeout, a session unused for 1.5 s has ended."""
    site = await serve(idle_timeout=1)
    async with site.client() as client:
        await sign_in(client)
        assert await signed_in(client)
        await asyncio.sleep(1.5)
        assert not await signed_in(client)


async def test_removing_an_analyst_ends_their_sessions_at_once(serve: Any) -> None:
    """`piigate analyst remove` (here its Analysts.remove) ends a live session at once, and
    adding the name again does not revive it."""
    site = await serve()
    async with site.client() as client:
        await sign_in(client)
        assert await signed_in(client)
        analysts = Analysts(site.gate.gate.quarantine)
        analysts.remove(ANALYST)
        assert not await signed_in(client)
        analysts.add(ANALYST, PASSWORD)
        assert not await signed_in(client)


async def test_sign_in_guessing_is_throttled_then_locked_out_and_logged(serve: Any) -> None:
    """Three wrong passwords (each answered 401 after a delay) lock the name out: the right
    password then gets 429; every attempt is in the log, no password is."""
    throttle = {"failures_before_lockout": 3, "first_delay": 0.1, "max_delay": 0.2}
    site = await serve(login_throttle=ThrottleSettings(**throttle))
    with capture_logs() as logs:
        async with site.client() as client:
            codes = [(await sign_in(client, f"guess-{n}")).status_code for n in range(3)]
            locked = await sign_in(client)
    assert codes == [401, 401, 401]
    assert locked.status_code == 429
    events = [entry["event"] for entry in logs]
    assert events.count("review sign-in refused") == 3
    assert "review sign-in locked out" in events
    assert "guess-" not in repr(logs) and PASSWORD not in repr(logs)


async def test_a_session_lookup_waiting_on_the_database_does_not_stall_other_requests(
    serve: Any, settings: Settings
) -> None:
    """While another writer holds the quarantine database, a signed-in page waits for its
    session's row; meanwhile the server still answers other requests (the lookup is off the
    event loop), and the page is served once the database is free."""
    site = await serve()
    database = str(settings.quarantine.url).removeprefix("sqlite:///")
    async with site.client() as client, site.client() as other:
        await sign_in(client)
        writer = sqlite3.connect(database, isolation_level=None)
        writer.execute("BEGIN EXCLUSIVE")  # a long write elsewhere (as an expiry run's)
        try:
            waiting = asyncio.ensure_future(client.get("/"))
            await asyncio.sleep(0.5)
            login = await asyncio.wait_for(other.get("/login"), 10)
            assert not waiting.done()
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        assert login.status_code == 200
        assert (await waiting).status_code == 200


async def test_guessing_across_names_locks_out_the_address(serve: Any) -> None:
    """Three wrong sign-ins from one address, each under another name, lock the address out:
    the real analyst's right password from there then gets 429."""
    throttle = {"failures_before_lockout": 3, "first_delay": 0.1, "max_delay": 0.2}
    site = await serve(login_throttle=ThrottleSettings(**throttle))
    async with site.client() as client:
        codes = [(await sign_in(client, "guess", f"someone{n}")).status_code for n in range(3)]
        locked = await sign_in(client)
    assert codes == [401, 401, 401]
    assert locked.status_code == 429


def test_review_refuses_plain_http_beyond_loopback() -> None:
    """`piigate review --listen 192.0.2.10:8443` without TLS is a one-line error naming the
    setting; loopback, TLS or --allow-plain-http are accepted."""
    result = CliRunner().invoke(main, ["review", "--listen", "192.0.2.10:8443"])
    assert result.exit_code != 0
    assert "review.listen" in result.output and "Traceback" not in result.output
    with pytest.raises(ConfigError):
        check_listen(HostPort("0.0.0.0", 8443), tls=False, allow_plain_http=False)
    check_listen(HostPort("127.0.0.1", 8443), tls=False, allow_plain_http=False)
    check_listen(HostPort("::1", 8443), tls=False, allow_plain_http=False)
    check_listen(HostPort("0.0.0.0", 8443), tls=True, allow_plain_http=False)
    check_listen(HostPort("0.0.0.0", 8443), tls=False, allow_plain_http=True)


def test_serve_refuses_to_mount_review_in_clear_beyond_loopback(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    """`piigate serve` with a non-loopback http.listen (no TLS there) stops with one line
    naming http.listen before starting anything; review.allow_plain_http, --allow-plain-http,
    review.mount false or a loopback listener let it mount (or skip) /review."""
    monkeypatch.setenv("PIIGATE_HTTP__LISTEN", "192.0.2.10:8025")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code != 0
    assert "http.listen" in result.output and "--allow-plain-http" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1

    def beyond(**review: Any) -> Settings:
        return settings.model_copy(
            update={
                "http": settings.http.model_copy(update={"listen": HostPort("0.0.0.0", 8025)}),
                "review": settings.review.model_copy(update=review),
            }
        )

    with pytest.raises(ConfigError, match=r"^http\.listen: "):
        mounts_review(beyond())
    assert mounts_review(beyond(), allow_plain_http=True)
    assert mounts_review(beyond(allow_plain_http=True))
    assert not mounts_review(beyond(mount=False))
    assert mounts_review(settings)  # loopback

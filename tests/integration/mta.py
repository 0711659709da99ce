"""A real Postfix instance for the integration tests: its own config directory, queue and
log under a temporary folder, listening only on loopback ports, never the system instance.

Its main.cf/master.cf are tests/integration/postfix/*.cf (the services a private instance
needs) followed by the deploy/postfix/<mode>.*.cf snippets the README documents, with the
test's ports put in place of 10025/10026: the snippets shipped are the ones the tests run.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from piigate.config import HostPort, Settings
from piigate.pipeline import Screener
from tests.conftest import RunningGate, Sink, settings_for, start_gate, start_sink

REPO = Path(__file__).resolve().parents[2]
POSTFIX = Path("/usr/sbin/postfix")
POSTQUEUE = Path("/usr/sbin/postqueue")


def postfix_unavailable() -> str | None:
    """Why the Postfix test cannot run here, or None when it can."""
    if not POSTFIX.exists():
        return "Postfix is not installed (make postfix installs it from Debian's packages as root)"
    if os.geteuid() != 0:
        return "running a private Postfix instance needs root (its daemons drop to user postfix)"
    return None


needs_postfix = [
    pytest.mark.postfix,
    pytest.mark.skipif(postfix_unavailable() is not None, reason=str(postfix_unavailable())),
]
"""The marks of a test that runs a real Postfix: skipped, saying why, where it cannot."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Ports:
    submit: int
    """Where clients hand mail to Postfix."""
    gate: int
    """Where Postfix's content_filter hands mail to piigate."""
    reinject: int
    """Where piigate hands accepted mail back to Postfix."""
    relay: int
    """The next hop after Postfix: the sink."""


def render(name: str, mode: str, ports: Ports, directory: Path) -> str:
    base = (REPO / "tests" / "integration" / "postfix" / name).read_text()
    snippet = (REPO / "deploy" / "postfix" / f"{mode}.{name}").read_text()
    if mode == "before-queue" and name == "master.cf":
        # The proxied smtpd replaces the plain one: it listens where clients submit.
        base = base.replace("127.0.0.1:@SUBMIT_PORT@ inet n - n - - smtpd\n", "")
        snippet = snippet.replace("smtp      inet", "127.0.0.1:@SUBMIT_PORT@ inet", 1)
    return (
        (base + "\n" + snippet)
        .replace("@DIR@", str(directory))
        .replace("@SUBMIT_PORT@", str(ports.submit))
        .replace("@RELAY_PORT@", str(ports.relay))
        .replace("127.0.0.1:10025", f"127.0.0.1:{ports.gate}")
        .replace("127.0.0.1]:10025", f"127.0.0.1]:{ports.gate}")
        .replace("127.0.0.1:10026", f"127.0.0.1:{ports.reinject}")
    )


class Postfix:
    """``postfix -c DIR``: start, stop, look at and flush the queue."""

    def __init__(
        self,
        directory: Path,
        ports: Ports,
        mode: str = "after-queue",
        edits: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """``edits``: (old, new) replacements in the rendered master.cf (a test's variation
        on the shipped snippet)."""
        self.directory = directory
        self.ports = ports
        directory.mkdir(parents=True, exist_ok=True)
        for name in ("main.cf", "master.cf"):
            text = render(name, mode, ports, directory)
            for old, new in edits if name == "master.cf" else ():
                assert old in text, old
                text = text.replace(old, new)
            (directory / name).write_text(text)
        for sub in ("queue", "data"):
            (directory / sub).mkdir(exist_ok=True)
        shutil.chown(directory / "data", "postfix", "postfix")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*args], capture_output=True, text=True, check=check, timeout=60)

    def start(self) -> None:
        started = self._run(str(POSTFIX), "-c", str(self.directory), "start", check=False)
        if started.returncode != 0:
            raise AssertionError(f"postfix did not start:\n{started.stderr}\n{self.log()}")
        wait_for_port(self.ports.submit)

    def stop(self) -> None:
        self._run(str(POSTFIX), "-c", str(self.directory), "stop", check=False)

    def queue(self) -> list[dict[str, object]]:
        """The messages in Postfix's queue (``postqueue -j``)."""
        out = self._run(str(POSTQUEUE), "-c", str(self.directory), "-j").stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def flush(self) -> None:
        self._run(str(POSTQUEUE), "-c", str(self.directory), "-f")

    def log(self) -> str:
        path = self.directory / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listening on 127.0.0.1:{port}")


@dataclass
class Chain:
    postfix: Postfix
    sink: Sink
    settings: Settings
    screener: Screener
    gate: RunningGate | None = None

    async def start_gate(self) -> None:
        self.gate = await start_gate(self.settings, self.screener)

    async def stop_gate(self) -> None:
        assert self.gate is not None
        await self.gate.server.stop(grace=5)
        self.gate.gate.close()
        self.gate = None

    async def submit(self, content: bytes, rcpt: str = "bob@fbi.gov") -> None:
        """Hand a message to Postfix, as a user's mail client would."""

        def send() -> None:
            with smtplib.SMTP("127.0.0.1", self.postfix.ports.submit, timeout=30) as client:
                client.sendmail("alice@dhs.gov", [rcpt], content)

        await asyncio.to_thread(send)

    async def wait_for_sink(self, count: int, timeout: float = 60) -> None:
        for _ in range(int(timeout * 10)):
            if len(self.sink.messages) >= count:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(
            f"sink has {len(self.sink.messages)} of {count} messages; Postfix log:\n"
            + self.postfix.log()[-3000:]
        )


@asynccontextmanager
async def running_chain(
    tmp_path: Path,
    base: Settings,
    screener: Screener,
    mode: str,
    edits: tuple[tuple[str, str], ...] = (),
) -> AsyncIterator[Chain]:
    """Sink ← Postfix ⇄ piigate, Postfix configured with the ``mode`` snippets (and
    ``edits`` to its master.cf)."""
    sink = await start_sink()
    ports = Ports(free_port(), free_port(), free_port(), sink.address.port)
    # Postfix's daemons run as user postfix: its folder must not be under pytest's 0700 tmp.
    postfix_dir = Path(tempfile.mkdtemp(prefix="piigate-postfix-"))
    postfix_dir.chmod(0o755)
    postfix = Postfix(postfix_dir, ports, mode=mode, edits=edits)
    settings = settings_for(
        base,
        tmp_path,
        HostPort("127.0.0.1", ports.reinject),
        listen=HostPort("127.0.0.1", ports.gate),
    )
    chain = Chain(postfix, sink, settings, screener)
    try:
        await chain.start_gate()
        await asyncio.to_thread(postfix.start)
        yield chain
    finally:
        await asyncio.to_thread(postfix.stop)
        if chain.gate is not None:
            await chain.stop_gate()
        await sink.stop()
        shutil.rmtree(postfix_dir, ignore_errors=True)

"""Browser tests: the review pages served by uvicorn on a loopback port, driven in Debian's
headless Chromium by Playwright. Skipped, with the reason, where Chromium is not installed
(`make test` installs it)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, async_playwright
from starlette.applications import Starlette
from starlette.routing import Mount

from piigate.config import Settings
from piigate.quarantine.analysts import Analysts
from piigate.review.app import ReviewPages, build_pages
from tests.conftest import RunningGate

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ANALYST, PASSWORD = "pat", "a long analyst passphrase"

if not CHROMIUM.exists():
    pytest.skip(
        f"browser tests need {CHROMIUM} (apt-get install chromium; `make test` does)",
        allow_module_level=True,
    )


@dataclass
class Site:
    url: str
    pages: ReviewPages


@pytest.fixture
async def site(gate: RunningGate, settings: Settings) -> AsyncIterator[Site]:
    pages = build_pages(settings, gate.gate)
    Analysts(gate.gate.quarantine).add(ANALYST, PASSWORD)
    app = Starlette(routes=[Mount("/review", app=pages.app())])
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    port = sock.getsockname()[1]
    yield Site(f"http://127.0.0.1:{port}/review", pages)
    server.should_exit = True
    await task


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        await chromium.close()

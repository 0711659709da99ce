"""piigate in front of Postfix's queue (smtpd_proxy_filter), configured with the
deploy/postfix/before-queue snippets: the client hears piigate's answer directly."""

from __future__ import annotations

import asyncio
import random
import smtplib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from piigate.config import Settings
from piigate.pipeline import Screener
from tests.integration.mta import Chain, needs_postfix, running_chain
from tests.synthetic import message, ssn

pytestmark = needs_postfix

RNG = random.Random(19)


@pytest.fixture
async def proxied(
    tmp_path: Path, shipped_settings: Settings, screener: Screener
) -> AsyncIterator[Chain]:
    async with running_chain(tmp_path, shipped_settings, screener, "before-queue") as chain:
        yield chain


async def test_before_queue_clean_mail_is_delivered_and_refusals_reach_the_client(
    proxied: Chain,
) -> None:
    """Clean mail is delivered once; a violating message is refused to the submitting client
    with piigate's 550 and rule id, and no bounce is generated."""
    await proxied.submit(message(body="Before-queue hello.\n"))
    await proxied.wait_for_sink(1)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await proxied.submit(message(body=f"SSN {ssn(RNG)}\n"))
    assert refused.value.smtp_code == 550
    assert b"unencrypted-sensitive-pii" in refused.value.smtp_error
    await asyncio.sleep(2)
    assert len(proxied.sink.messages) == 1
    assert b"Before-queue hello." in proxied.sink.messages[0].content


async def test_before_queue_with_piigate_down_the_client_is_told_to_retry(
    proxied: Chain,
) -> None:
    """With piigate stopped, the client is answered with a 4xx (it keeps the message and
    retries); Postfix queues nothing unscreened (it only tells its postmaster that the proxy
    was unreachable)."""
    await proxied.stop_gate()
    with pytest.raises(smtplib.SMTPResponseException) as deferred:
        await proxied.submit(message(body="Nobody home.\n"))
    assert 400 <= deferred.value.smtp_code < 500
    await asyncio.sleep(1)
    assert all(q.get("sender") != "alice@dhs.gov" for q in proxied.postfix.queue())
    assert all(m.rcpt_tos != ["bob@fbi.gov"] for m in proxied.sink.messages)

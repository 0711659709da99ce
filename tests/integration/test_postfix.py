"""piigate behind a real Postfix (after-queue content_filter with re-injection), configured
with the deploy/postfix snippets: mail submitted to Postfix goes through piigate into a sink."""

from __future__ import annotations

import asyncio
import random
import re
import smtplib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from piigate.config import Settings
from piigate.pipeline import Screener
from tests.integration.mta import Chain, needs_postfix, running_chain
from tests.synthetic import message, ssn

pytestmark = needs_postfix

RNG = random.Random(9)


@pytest.fixture
async def chain(
    tmp_path: Path, shipped_settings: Settings, screener: Screener
) -> AsyncIterator[Chain]:
    async with running_chain(tmp_path, shipped_settings, screener, "after-queue") as chain:
        yield chain


async def test_clean_mail_submitted_to_postfix_is_screened_and_delivered(chain: Chain) -> None:
    """A clean message goes Postfix → piigate → Postfix → sink, once, with its body intact."""
    await chain.submit(message(body="Lunch at noon?\n"))
    await chain.wait_for_sink(1)
    await asyncio.sleep(1)
    assert len(chain.sink.messages) == 1
    received = chain.sink.messages[0]
    assert received.rcpt_tos == ["bob@fbi.gov"]
    assert b"Lunch at noon?" in received.content


async def test_refused_mail_bounces_to_the_sender_quoting_piigates_reason(chain: Chain) -> None:
    """A message piigate refuses with 550 comes back to the sender as a bounce that quotes the
    rule and piigate's advice, and never reaches the external recipient."""
    await chain.submit(message(body=f"SSN {ssn(RNG)}\n"))
    await chain.wait_for_sink(1)
    bounce = chain.sink.messages[0]
    assert bounce.mail_from in ("", "<>")  # the null sender of a bounce
    assert bounce.rcpt_tos == ["alice@dhs.gov"]
    text = bounce.content.decode("utf-8", "replace")
    # Every rule the message breaks is a line of piigate's (multi-line) reply.
    assert re.search(r"550[- ]5\.7\.1 unencrypted-sensitive-pii", text)
    assert "encrypted" in text
    assert all(m.rcpt_tos != ["bob@fbi.gov"] for m in chain.sink.messages)


async def test_mail_waits_in_postfixs_queue_while_piigate_is_down(chain: Chain) -> None:
    """With piigate stopped, Postfix keeps the message queued (nothing lost, nothing sent
    unscreened); once piigate is back, a queue flush delivers it exactly once."""
    await chain.stop_gate()
    await chain.submit(message(body="Sent while the gate was down.\n"))
    for _ in range(100):
        queued = await asyncio.to_thread(chain.postfix.queue)
        if queued and all(q.get("queue_name") == "deferred" for q in queued):
            break
        await asyncio.sleep(0.2)
    assert len(queued) == 1 and queued[0]["queue_name"] == "deferred"
    assert chain.sink.messages == []
    await chain.start_gate()
    await asyncio.to_thread(chain.postfix.flush)
    await chain.wait_for_sink(1)
    await asyncio.sleep(1)
    assert len(chain.sink.messages) == 1
    assert b"Sent while the gate was down." in chain.sink.messages[0].content
    assert await asyncio.to_thread(chain.postfix.queue) == []


async def test_dsn_parameters_do_not_stop_mail_through_the_filter(chain: Chain) -> None:
    """A client's NOTIFY/RET/ENVID (which piigate does not announce, so Postfix never sends it
    them) neither bounce nor duplicate the message: it is delivered once, and a sender who
    asked for NOTIFY=SUCCESS is told by Postfix that it was relayed to the filter."""

    def send_with_dsn() -> None:
        with smtplib.SMTP("127.0.0.1", chain.postfix.ports.submit, timeout=30) as client:
            client.ehlo("client.test")
            assert client.has_extn("dsn")
            client.sendmail(
                "alice@dhs.gov",
                ["bob@fbi.gov"],
                message(body="DSN please.\n"),
                mail_options=["RET=HDRS", "ENVID=piigate-test-1"],
                rcpt_options=["NOTIFY=SUCCESS,FAILURE"],
            )

    await asyncio.to_thread(send_with_dsn)
    await chain.wait_for_sink(2)
    await asyncio.sleep(1)
    delivered = [m for m in chain.sink.messages if m.rcpt_tos == ["bob@fbi.gov"]]
    notices = [m for m in chain.sink.messages if m.rcpt_tos == ["alice@dhs.gov"]]
    assert len(delivered) == 1 and b"DSN please." in delivered[0].content
    assert len(notices) == 1 and b"relayed" in notices[0].content
    assert b"piigate-test-1" in notices[0].content

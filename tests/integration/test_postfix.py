"""piigate behind a real Postfix (after-queue content_filter with re-injection), configured
with the deploy/postfix snippets: mail submitted to Postfix goes through piigate into a sink."""

from __future__ import annotations

import asyncio
import random
import re
import smtplib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from piigate.config import Settings
from piigate.model import Envelope, ParsedMessage, Screening
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


class _Witness(Screener):
    """The shipped screener, keeping the bytes of each message the gate screened (to see
    what Postfix handed it); it decides exactly as the screener it copies."""

    def __init__(self, screener: Screener) -> None:
        self.__dict__.update(vars(screener))
        self.seen: list[bytes] = []

    def conclude(self, envelope: Envelope, message: ParsedMessage, *rest: Any) -> Screening:
        self.seen.append(message.raw)
        return super().conclude(envelope, message, *rest)


def _html_with_ssn_across_column_998(value: str) -> bytes:
    """An HTML body (7bit, as HTML editors send it) whose one long line has ``value``,
    standing as its own word, across column 998."""
    line = "<p>" + "Quarterly figures follow. " * 40
    line = line[: 998 - 6] + f" {value} " + "and the rest of the report.</p>" * 20
    return (
        "From: alice@dhs.gov\r\nTo: bob@fbi.gov\r\nSubject: Report\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
        f"<html><body>\r\n{line}\r\n</body></html>\r\n"
    ).encode()


_FOLDING = (("-o smtp_line_length_limit=0", "-o smtp_line_length_limit=998"),)


@pytest.mark.parametrize("edits", [(), _FOLDING], ids=["shipped", "postfix-default-998"])
async def test_ssn_across_column_998_is_refused_folded_or_not(
    tmp_path: Path,
    shipped_settings: Settings,
    screener: Screener,
    edits: tuple[tuple[str, str], ...],
) -> None:
    """An SSN crossing column 998 of a long HTML line is refused (bounced to the sender, never
    delivered): with the shipped snippet the gate receives the line unbroken; with Postfix's
    default limit it receives it broken by CRLF SP inside the number, and joins it again."""
    witness = _Witness(screener)
    value = ssn(RNG)
    async with running_chain(tmp_path, shipped_settings, witness, "after-queue", edits) as chain:
        await chain.submit(_html_with_ssn_across_column_998(value))
        await chain.wait_for_sink(1)
    assert all(m.rcpt_tos != ["bob@fbi.gov"] for m in chain.sink.messages)
    assert re.search(
        r"550[- ]5\.7\.1 unencrypted-sensitive-pii", chain.sink.messages[0].content.decode()
    )
    [seen] = witness.seen
    longest = max(len(line) for line in seen.split(b"\r\n"))
    if edits:
        assert longest <= 998 and b"\r\n " in seen and value.encode() not in seen
    else:
        assert longest > 998 and value.encode() in seen

"""``policy.refusal_notice``: behind Postfix after the queue a 550's lines reach the sender
flattened into one paragraph of Postfix's bounce; refusing by notice, the gate answers 250
and mails the sender its own delivery status notification whose human-readable part is the
teaching text, line for line — and Postfix sends no bounce of its own."""

from __future__ import annotations

import asyncio
import email
import email.policy
import random
from email.message import EmailMessage
from pathlib import Path

from piigate.config import Settings
from piigate.pipeline import Screener
from piigate.receive import replies
from tests.conftest import Sink, gate_running, send, settings_for
from tests.integration.mta import needs_postfix, running_chain
from tests.synthetic import message, ssn

TEACHING = "Why, and how to fix it:\n\n* unencrypted-sensitive-pii: Sensitive PII is in plain text"


def by_notice(settings: Settings) -> Settings:
    policy = settings.policy.model_copy(update={"refusal_notice": True})
    return settings.model_copy(update={"policy": policy})


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def assert_is_the_gates_report(raw: bytes) -> None:
    report = parsed(raw)
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    text, status = report.iter_parts()
    assert TEACHING in text.get_content().replace("\r\n", "\n")
    assert status.get_content_type() == "message/delivery-status"
    assert b"Action: failed" in raw and b"Final-Recipient: rfc822; bob@fbi.gov" in raw


async def test_a_refusal_by_notice_is_a_250_and_a_report_to_the_sender(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """The client gets 250 (nothing relayed), the sender one DSN with the teaching text."""
    settings = by_notice(settings_for(shipped_settings, tmp_path, sink.address))
    async with gate_running(settings, screener) as gate:
        code, reply = await send(gate.address, message(body=f"SSN {ssn(random.Random(6))}\n"))
    assert f"{code} {reply}" == replies.REFUSED_BY_NOTICE
    [notice] = sink.messages
    assert notice.rcpt_tos == ["alice@dhs.gov"] and notice.mail_from in ("", "<>")
    assert_is_the_gates_report(notice.content)


@needs_postfix[0]
@needs_postfix[1]
async def test_behind_postfix_the_sender_reads_the_teaching_text_as_written(
    tmp_path: Path, shipped_settings: Settings, screener: Screener
) -> None:
    """After the queue, with refusal by notice: one message reaches the sender (the gate's
    report, its text intact), no Postfix bounce, nothing to the recipient."""
    async with running_chain(
        tmp_path, by_notice(shipped_settings), screener, "after-queue"
    ) as chain:
        await chain.submit(message(body=f"SSN {ssn(random.Random(7))}\n"))
        await chain.wait_for_sink(1)
        await asyncio.sleep(2)  # a bounce, if Postfix sent one, would arrive by now
        [notice] = chain.sink.messages
    assert notice.rcpt_tos == ["alice@dhs.gov"]
    assert_is_the_gates_report(notice.content)

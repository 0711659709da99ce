"""Messages the gate writes to a sender: why mail was refused or held, what an audit-mode rule
would have done, and the password of a zip the gate encrypted on their behalf.

Notices carry rule ids and the rules' masked sentences, never a PII value; the original
subject is quoted only when nothing sensitive was found in it. They go out with a null
envelope sender (like a delivery status notification), so they can never loop.
"""

from __future__ import annotations

import email.policy
import email.utils
from collections.abc import Sequence
from email.message import EmailMessage
from typing import TYPE_CHECKING

from piigate.act.headers import copy_header
from piigate.labels import printable, sent_date
from piigate.model import Screening, Violation

if TYPE_CHECKING:
    from piigate.quarantine.store import HeldMessage

_POLICY = email.policy.SMTP


def _base(screening: Screening, sender: str, subject: str, notice_from: str) -> EmailMessage:
    message = EmailMessage(policy=_POLICY)
    message["From"] = notice_from
    message["To"] = sender
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = email.utils.make_msgid(domain=notice_from.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-replied"
    if screening.message.message_id:  # the sender's: kept only if it is a sound header
        copy_header(message, "In-Reply-To", screening.message.message_id)
    return message


def _identify(screening: Screening) -> str:
    subject_is_sensitive = any(f.where == "subject" for f in screening.detection.findings)
    subject = screening.message.subject
    lines = []
    if subject and not subject_is_sensitive:
        lines.append(f"  Subject:    {printable(subject)}")
    elif subject:
        lines.append("  Subject:    (withheld: it contains sensitive PII)")
    date = sent_date(screening.message.header("Date"))
    if date:
        lines.append(f"  Date:       {date}")
    if screening.message.message_id:
        lines.append(f"  Message-ID: {screening.message.message_id}")
    return "\n".join(lines)


def _explain(violations: Sequence[Violation]) -> str:
    ordered = sorted(violations, key=lambda v: -v.action.strength)  # what refuses it first
    return "\n\n".join(f"* {v.rule}: {v.message}" for v in ordered)


def refusal_notice(screening: Screening, refused: Sequence[str], notice_from: str) -> EmailMessage:
    sender = screening.envelope.mail_from
    message = _base(
        screening, sender, "Not sent: your message broke the sharing rules", notice_from
    )
    internal = screening.verdict.internal_recipients
    delivered = (
        f"It was delivered to the recipients inside the agency ({', '.join(internal)}).\n\n"
        if internal
        else ""
    )
    message.set_content(
        "The PII gate did not send your message to these recipients outside the agency:\n"
        f"  {', '.join(refused)}\n\n{delivered}Your message:\n{_identify(screening)}\n\n"
        f"Why, and how to fix it:\n\n{_explain(screening.verdict.violations)}\n"
    )
    return message


def refusal_report(
    screening: Screening, refused: Sequence[str], diagnostic: str, notice_from: str
) -> EmailMessage:
    """The refusal as a delivery status notification (RFC 3464): the teaching text, well
    formatted, as its human-readable part, then one ``failed`` status per refused recipient
    (``diagnostic``: the SMTP reply the gate would otherwise have given, one line)."""
    teaching = refusal_notice(screening, refused, notice_from)
    report = EmailMessage(policy=_POLICY)
    for name in ("From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", "In-Reply-To"):
        if teaching[name] is not None:
            report[name] = teaching[name]
    report.set_content(teaching.get_content())
    report.make_mixed()
    report.set_type("multipart/report")
    report.set_param("report-type", "delivery-status")
    report.attach(_delivery_status(refused, diagnostic, notice_from))
    return report


def _delivery_status(refused: Sequence[str], diagnostic: str, notice_from: str) -> EmailMessage:
    status = EmailMessage(policy=_POLICY)
    status["Content-Type"] = "message/delivery-status"
    per_message = EmailMessage(policy=_POLICY)
    per_message["Reporting-MTA"] = f"dns; {notice_from.rpartition('@')[2] or 'localhost'}"
    blocks = [per_message]
    for address in refused:
        block = EmailMessage(policy=_POLICY)
        block["Final-Recipient"] = f"rfc822; {address}"
        block["Action"] = "failed"
        block["Status"] = "5.7.1"
        block["Diagnostic-Code"] = f"smtp; {diagnostic}"
        blocks.append(block)
    status.set_payload(blocks)  # type: ignore[arg-type]
    return status


def held_notice(screening: Screening, held_id: str, notice_from: str) -> EmailMessage:
    sender = screening.envelope.mail_from
    message = _base(screening, sender, f"Held for privacy review: {held_id}", notice_from)
    recipients = ", ".join(screening.verdict.external_recipients)
    message.set_content(
        f"The PII gate is holding your message to {recipients} for a privacy analyst "
        f"(quarantine id {held_id}). It will be sent if an analyst releases it; you will be "
        f"told either way.\n\nYour message:\n{_identify(screening)}\n\n"
        f"Why:\n\n{_explain(screening.verdict.violations)}\n"
    )
    return message


def audit_notice(screening: Screening, notice_from: str) -> EmailMessage:
    sender = screening.envelope.mail_from
    message = _base(screening, sender, "Sent, but it would break the sharing rules", notice_from)
    message.set_content(
        "Your message was delivered: these rules are being tried out (audit mode). Once they "
        f"are enforced, a message like it will not be sent.\n\nYour message:\n"
        f"{_identify(screening)}\n\nWhat the rules say:\n\n"
        f"{_explain(screening.verdict.audit_violations)}\n"
    )
    return message


def password_notice(
    screening: Screening, archive_name: str, password: str, notice_from: str
) -> EmailMessage:
    sender = screening.envelope.mail_from
    message = _base(screening, sender, f"Password for {archive_name}", notice_from)
    recipients = ", ".join(screening.envelope.rcpt_tos)
    message.set_content(
        f"As you asked ([ENCRYPT]), the PII gate put the sensitive parts of your message to "
        f"{recipients} into the AES-256 encrypted zip {archive_name}.\n\nYour message:\n"
        f"{_identify(screening)}\n\nThe password is:\n\n    {password}\n\n"
        "Give it to the recipients separately - by phone, or in a message of its own - never "
        "in the same message as the zip. If you receive several of these notices for one "
        "message, the latest password is the one that opens it.\n"
    )
    return message


def as_bytes(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=_POLICY)


DECISIONS = {
    "released": ("Sent after privacy review", "was released by a privacy analyst and sent"),
    "rejected": ("Not sent: rejected in privacy review", "was rejected by a privacy analyst"),
    "expired": ("Not sent: privacy review expired", "was not decided in time and expired"),
}
"""What the held notice promised: the sender is told either way."""


def decision_notice(
    held: HeldMessage, sent_on: str, decision: str, reason: str, notice_from: str
) -> EmailMessage:
    """The analysts' decision on a held message (released, rejected, or expired), naming the
    message by its Subject and date (``held.subject`` is already withheld if sensitive)."""
    title, happened = DECISIONS[decision]
    message = EmailMessage(policy=_POLICY)
    message["From"] = notice_from
    message["To"] = held.mail_from
    subject = printable(held.subject)
    message["Subject"] = f"{title}: {subject or held.id}"[:200]
    message["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = email.utils.make_msgid(domain=notice_from.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-replied"
    if held.message_id:
        copy_header(message, "In-Reply-To", held.message_id)
    said = "Justification" if decision == "released" else "Reason"
    after = (
        "Nothing more to do."
        if decision == "released"
        else "It will not be sent. Fix what the reason says and send it again as a new message."
    )
    held_on = held.held_at[:16].replace("T", " ") + " UTC (held)"
    message.set_content(
        f"Your message to {', '.join(held.rcpt_tos)}, held for privacy review as {held.id}, "
        f"{happened}.\n\nYour message:\n  Subject:    {subject or '(none)'}\n"
        f"  Date:       {printable(sent_on) or held_on}\n"
        f"  Message-ID: {printable(held.message_id)}\n\n{said}: {reason}\n\n{after}\n"
    )
    return message

"""Synthetic PII for tests, generated from a seed: valid-looking but invented values."""

from __future__ import annotations

import random
from email.message import EmailMessage


def ssn(rng: random.Random) -> str:
    """A random SSN that passes the post-2011 validity rules, dashed."""
    while True:
        area = rng.randint(1, 899)
        if area != 666:
            break
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def message(
    *,
    sender: str = "alice@dhs.gov",
    to: tuple[str, ...] = ("bob@fbi.gov",),
    subject: str = "Case update",
    body: str = "Hello,\nplease see below.\n",
    html: str | None = None,
    attachments: tuple[tuple[str, bytes, str], ...] = (),
) -> bytes:
    """A real MIME message built with the stdlib; attachments are (name, data, mime type)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Message-ID"] = f"<test-{abs(hash((sender, to, subject, body))) % 10**12}@dhs.gov>"
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()

"""Fuzzing the [ENCRYPT] path with hypothesis: whatever headers and file names a sender
writes, screening then sealing (what a release does) ends in a message the email library can
read, with the sensitive content only inside the encrypted zip. A sender's header must never
turn into an exception (before this, a Message-ID like ``<<>>@@`` made a release an HTTP 500).

``make fuzz`` runs many more examples (``PIIGATE_FUZZ_EXAMPLES``) than ``make test``.
"""

from __future__ import annotations

import email
import email.policy
import os
import time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from piigate.act import notices
from piigate.act.encrypt import seal
from piigate.model import Envelope
from piigate.pipeline import Screener

EXAMPLE_SSN = "536-22-8167"
"""The README's example SSN (visibly an example)."""
ENVELOPE = Envelope("alice@dhs.gov", ("clerk@example.com",))
FUZZ = settings(
    max_examples=int(os.environ.get("PIIGATE_FUZZ_EXAMPLES", "60")),
    deadline=None,
    derandomize=os.environ.get("PIIGATE_FUZZ_EXAMPLES") is None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SCAN_LIMIT = 30.0
"""scan.timeout's default: every input must screen within it."""

HOSTILE_VALUES = [
    b"<<>>@@",
    b"<a@b",
    b"<>",
    b"@",
    b"=?utf-8?q?a=0D=0AX-Injected:_1?=",
    b"=?utf-8?b?/w==?=",
    b"=?x-bogus?q?abc?=",
    b"\xff\xfe\x00",
    b"(((((((((",
    b'"unterminated <x@y>',
    b"a" * 1200,
    b"<a@b> <c@d> <",
    b"Mon, 99 Foo 2026 99:99:99 +9999",
    b"",
]
COPIED = ("From", "To", "Cc", "Reply-To", "Date", "Message-ID", "In-Reply-To", "References")

header_value = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.binary(max_size=80).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
    st.text(max_size=60).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@st.composite
def hostile_encrypt_request(draw: st.DrawFn) -> bytes:
    """An [ENCRYPT] message with SSNs in its body and a CSV, and sender-written headers
    (and an attachment name) drawn from hostile values."""
    head = b"".join(
        name.encode() + b": " + draw(header_value) + b"\r\n"
        for name in COPIED
        if draw(st.booleans())
    )
    subject = b"Subject: [ENCRYPT] " + draw(header_value) + b"\r\n"
    filename = draw(header_value).replace(b'"', b"")
    return (
        head
        + subject
        + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
        + b"--b0\r\nContent-Type: text/plain\r\n\r\nSSN "
        + EXAMPLE_SSN.encode()
        + b"\r\n--b0\r\nContent-Type: text/csv\r\n"
        + b'Content-Disposition: attachment; filename="'
        + filename
        + b'"\r\n\r\nname,ssn\r\nPat Example,'
        + EXAMPLE_SSN.encode()
        + b"\r\n--b0--\r\n"
    )


MALFORMED_MESSAGE_ID = (
    b"Message-ID: <<>>@@\r\nSubject: [ENCRYPT] x\r\nContent-Type: text/plain\r\n\r\n"
    b"SSN " + EXAMPLE_SSN.encode() + b"\r\n"
)


ENCODED_CRLF_IN_REFERENCES = (
    b"References: =?utf-8?q?a=0D=0AX-Injected:_1?=\r\nSubject: [ENCRYPT] x\r\n\r\n"
    b"SSN " + EXAMPLE_SSN.encode() + b"\r\n"
)
"""Found by the long run: the email library decodes the encoded CR LF and writes it out raw,
so the sealed message carried a header the sender made up."""


RAW_BYTE_IN_REFERENCES = (
    b"In-Reply-To: MAIDEN NAME\r\nReferences: \x80\r\nSubject: [ENCRYPT] <<>>@@\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    b"--b0\r\nContent-Type: text/plain\r\n\r\nSSN " + EXAMPLE_SSN.encode() + b"\r\n--b0--\r\n"
)
"""Found by the long run: with a name's context word in the headers, the raw byte reached
spaCy as a lone surrogate, which it cannot encode; screening raised (the gate would have
answered 451 for ever)."""


@FUZZ
@given(raw=hostile_encrypt_request())
@example(raw=RAW_BYTE_IN_REFERENCES)
@example(raw=MALFORMED_MESSAGE_ID)
@example(raw=ENCODED_CRLF_IN_REFERENCES)
def test_sealing_survives_any_header_the_sender_wrote(screener: Screener, raw: bytes) -> None:
    """Screening and sealing any such message raises nothing, finishes within the scan time
    limit, yields a message the email library parses, and never carries the SSN in clear."""
    started = time.monotonic()
    screening = screener.screen(ENVELOPE, raw)
    assert time.monotonic() - started < SCAN_LIMIT
    sealed = seal(screening, "Do not forward.", "[ENCRYPT]")
    parsed = email.message_from_bytes(sealed.content, policy=email.policy.SMTP)
    assert parsed["Message-ID"] is None or "<<>>" not in str(parsed["Message-ID"])
    for part in parsed.walk():
        name = part.get_filename() or ""
        assert "/" not in name and "\x00" not in name
    notice = notices.as_bytes(notices.refusal_notice(screening, ["x@example.com"], "g@gate"))
    assert email.message_from_bytes(notice, policy=email.policy.SMTP)["X-Injected"] is None
    if not any("unscannable" in v.rule for v in screening.verdict.violations):
        # (unreadable content is held, never released sealed, so it is not checked here)
        assert EXAMPLE_SSN.encode() not in sealed.content
    assert parsed["X-Injected"] is None  # a decoded CR LF never starts a header of its own

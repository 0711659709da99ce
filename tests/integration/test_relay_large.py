"""A large message (``act.wire``: 1 MiB or more) is relayed with its DATA prepared in slices:
the upstream receives exactly the bytes, the SIZE and the refusals that aiosmtplib's own
``sendmail`` gives, on a real aiosmtpd upstream."""

from __future__ import annotations

import pytest
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

from piigate.act.relay import Relay
from piigate.act.wire import SLICED_BYTES, wire_form
from piigate.config import HostPort
from piigate.errors import RelayPermanentError, RelayTemporaryError
from piigate.model import Envelope
from tests.conftest import Sink

# Lines that start with dots, bare LF and lone CR line ends, no final line end: everything
# the DATA preparation rewrites, repeated past the size that is prepared in slices.
TRICKY = b"Subject: big\r\n\r\n" + b".a\r\nb\n..c\rd\r\n.\r\n" * (SLICED_BYTES // 16) + b".end"


def aiosmtplib_wire(content: bytes) -> bytes:
    """What aiosmtplib's DATA command writes for ``content``."""
    return PERIOD_REGEX.sub(b"..", normalize_message_line_endings(content)) + b".\r\n"


@pytest.mark.parametrize(
    ("content", "slice_bytes"),
    [(TRICKY[:5000], 1), (TRICKY[:5000], 7), (TRICKY[:5000], 1000), (TRICKY, 1 << 30), (b"", 1)],
    ids=["1", "7", "1000", "whole", "empty"],
)
async def test_wire_form_is_aiosmtplibs_whatever_the_slices(
    content: bytes, slice_bytes: int
) -> None:
    """Slices cut after any line feed give aiosmtplib's wire form and its RFC 1870 size."""
    wire, size = await wire_form(content, slice_bytes)
    assert wire == aiosmtplib_wire(content)
    assert size == len(normalize_message_line_endings(content))


@pytest.mark.parametrize("pool_size", [0, 2])
async def test_large_message_reaches_the_upstream_byte_for_byte(sink: Sink, pool_size: int) -> None:
    """The upstream gets the normalised message and the SIZE option it would get from
    ``sendmail``, on a new connection and on a pooled one."""
    relay = Relay(sink.address, 30, "gate.test", pool_size=pool_size)
    if pool_size:
        relay.open_pool()
    envelope = Envelope("alice@dhs.gov", ("bob@fbi.gov", "carol@fbi.gov"))
    await relay.send(envelope, TRICKY)
    await relay.send(envelope, TRICKY)
    await relay.close_pool()
    expected = normalize_message_line_endings(TRICKY)
    assert [m.content for m in sink.messages] == [expected, expected]
    assert sink.messages[0].rcpt_tos == ["bob@fbi.gov", "carol@fbi.gov"]
    assert f"SIZE={len(expected)}" in sink.messages[0].mail_options


async def test_large_message_refused_at_data_is_a_permanent_error(sink: Sink) -> None:
    """A 5xx answer to the content is the upstream's refusal, as for small mail."""
    sink.handler.reply = "554 5.7.1 refused by policy"
    relay = Relay(sink.address, 30, "gate.test")
    with pytest.raises(RelayPermanentError):
        await relay.send(Envelope("alice@dhs.gov", ("bob@fbi.gov",)), TRICKY)
    assert sink.messages == []


async def test_unreachable_upstream_is_temporary_for_large_mail() -> None:
    """No upstream: a temporary error (the gate's 451), large or small."""
    relay = Relay(HostPort("127.0.0.1", 9), 5, "gate.test")
    with pytest.raises(RelayTemporaryError):
        await relay.send(Envelope("alice@dhs.gov", ("bob@fbi.gov",)), TRICKY)

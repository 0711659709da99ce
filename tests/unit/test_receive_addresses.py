"""MAIL and RCPT arguments: the gate's quick reading of a plain ``<local@domain>`` gives what
aiosmtpd's own RFC 5322 parser gives, for plain addresses and for every form it leaves to
that parser."""

from __future__ import annotations

import pytest
from aiosmtpd.smtp import SMTP

from piigate.receive.protocol import GateSMTP

ARGUMENTS = [
    "<alice@dhs.gov>",
    "<alice@dhs.gov> SIZE=4096 BODY=8BITMIME",
    "<alice@dhs.gov>\tSIZE=12",
    "<alice@dhs.gov>  SIZE=1 ",
    "<first.last+tag@sub.example.org>",
    "<o'brien@example.com>",
    "<a@b>",
    "<alice@dhs.gov> ",
    " <alice@dhs.gov>",
    "<alice@dhs.gov>x",
    "<alice@dhs.gov> (a comment) SIZE=1",
    "<alice@dhs.gov>(a comment)",
    "<alice@dhs.gov> \r\n",
    '<"quoted local"@example.com>',
    "<alice@[192.0.2.1]>",
    "<>",
    "<@relay.example:alice@dhs.gov>",
    "<a..b@example.com>",
    "<.a@example.com>",
    "<a.@example.com>",
    "<alice@example..com>",
    "<alice@example.com.>",
    "<alice@-example.com>",
    "<ålice@example.com>",
    "alice@dhs.gov",
    "<alice@dhs.gov",
    "",
]


def gate_protocol(local_part_limit: int = 0) -> GateSMTP:
    """The protocol object, for its address reading only (no connection)."""
    protocol: GateSMTP = object.__new__(GateSMTP)
    protocol.local_part_limit = local_part_limit
    return protocol


@pytest.mark.parametrize("argument", ARGUMENTS)
def test_address_reading_matches_aiosmtpd(argument: str) -> None:
    """The same address and the same parameters (or the same refusal) as aiosmtpd's parser."""
    protocol = gate_protocol()
    assert protocol._getaddr(argument) == SMTP._getaddr(protocol, argument)


@pytest.mark.parametrize("argument", ["<abcd@dhs.gov>", "<abc@dhs.gov> SIZE=1"])
def test_local_part_limit_applies_to_plain_addresses(argument: str) -> None:
    """A plain address is held to ``local_part_limit`` as aiosmtpd holds any address."""
    protocol = gate_protocol(local_part_limit=3)
    assert protocol._getaddr(argument) == SMTP._getaddr(protocol, argument)

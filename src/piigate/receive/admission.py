"""Who may open an SMTP session with the gate: a peer in ``clients.networks``, while fewer than
``smtp.max_sessions`` sessions are open. Everyone else is answered at once and disconnected,
so the gate is never an open relay and never runs out of file descriptors."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any

from piigate.config import TlsSettings
from piigate.errors import ConfigError
from piigate.receive import replies


class Admission:
    """With ``auth`` on, a peer outside the networks is admitted but must STARTTLS and AUTH
    before MAIL (``needs_auth``)."""

    def __init__(
        self,
        networks: Sequence[IPv4Network | IPv6Network],
        max_sessions: int,
        *,
        auth: bool = False,
    ) -> None:
        self.networks = tuple(networks)
        self.max_sessions = max_sessions
        self.auth = auth

    def refusal(self, peername: Any, open_sessions: int) -> str | None:
        """The reply that refuses this peer, or None to admit it."""
        if not self.auth and not self.allows(peername):
            return replies.CLIENT_NOT_ALLOWED
        if open_sessions >= self.max_sessions:
            return replies.TOO_MANY_SESSIONS
        return None

    def needs_auth(self, peername: Any) -> bool:
        return self.auth and not self.allows(peername)

    def allows(self, peername: Any) -> bool:
        address = _peer_address(peername)
        return address is not None and any(address in net for net in self.networks)


def _peer_address(peername: Any) -> IPv4Address | IPv6Address | None:
    if not isinstance(peername, tuple) or not peername:
        return None  # a Unix socket or unknown peer is never on an allowed network
    try:
        address = ipaddress.ip_address(str(peername[0]).split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def server_tls_context(tls: TlsSettings) -> ssl.SSLContext | None:
    """The listener's STARTTLS context, or None when no certificate is configured."""
    if tls.cert_file is None and tls.key_file is None:
        if tls.required:
            raise ConfigError("tls.required: needs tls.cert_file and tls.key_file")
        return None
    if tls.cert_file is None or tls.key_file is None:
        raise ConfigError("tls: name both tls.cert_file and tls.key_file")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(tls.cert_file, tls.key_file)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ConfigError(
            f"tls: cannot load {tls.cert_file} with {tls.key_file}: {reason}"
        ) from None
    return context

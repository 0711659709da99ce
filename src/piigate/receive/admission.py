"""Who may open an SMTP session with the gate: a peer in ``clients.networks``, while fewer than
``smtp.max_sessions`` sessions are open, fewer than ``smtp.max_sessions_per_address`` of them
from its address, and (unless it is in ``smtp.trusted_networks``) outside the
``smtp.reserved_sessions`` slots kept for the agency's own MTA. Everyone else is answered at
once and disconnected, so the gate is never an open relay and never runs out of file
descriptors."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
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
        limits: SessionLimits | None = None,
    ) -> None:
        self.networks = tuple(networks)
        self.max_sessions = max_sessions
        self.auth = auth
        self.limits = limits or SessionLimits()

    def refusal(self, peername: Any, open_peers: Sequence[Any]) -> tuple[str, str] | None:
        """The reply that refuses this peer and the limit's name, or None to admit it;
        ``open_peers``: the peer names of the sessions already open."""
        if not self.auth and not self.allows(peername):
            return replies.CLIENT_NOT_ALLOWED, "network"
        trusted = _within(peername, self.limits.trusted)
        reserved = 0 if trusted else self.limits.reserved
        if len(open_peers) >= max(self.max_sessions - reserved, 0):
            return replies.TOO_MANY_SESSIONS, "sessions"
        if not trusted:
            host = _host(peername)
            if sum(_host(p) == host for p in open_peers) >= self.limits.per_address:
                return replies.TOO_MANY_FROM_ADDRESS, "per_address"
        return None

    def needs_auth(self, peername: Any) -> bool:
        return self.auth and not self.allows(peername)

    def allows(self, peername: Any) -> bool:
        return _within(peername, self.networks)


@dataclass(frozen=True, slots=True)
class SessionLimits:
    per_address: int = 1_000_000
    trusted: tuple[IPv4Network | IPv6Network, ...] = ()
    reserved: int = 0


def _within(peername: Any, networks: Sequence[IPv4Network | IPv6Network]) -> bool:
    address = _peer_address(peername)
    return address is not None and any(address in net for net in networks)


def _host(peername: Any) -> str:
    address = _peer_address(peername)
    return str(address) if address is not None else str(peername)


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

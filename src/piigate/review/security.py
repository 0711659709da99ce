"""The review UI's response headers, on every response (pages, redirects, errors):

- a Content-Security-Policy that runs no inline script and loads nothing from elsewhere
  (``default-src 'none'``; script, style, images and forms from the pages' own origin; no
  inline script and no inline style: the report's charts are SVG drawn with attributes and
  the stylesheet), and
  ``frame-ancestors 'none'`` (no framing, so no clickjacking);
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``;
- ``Cache-Control: no-store``: the pages carry held mail's metadata, never to be cached;
- over HTTPS: ``Strict-Transport-Security`` and the ``Secure`` flag on every cookie.

And ``check_listen``: the pages are served in clear only on a loopback address unless
``review.allow_plain_http`` (or ``--allow-plain-http``) says a TLS proxy is in front — by
`piigate review` on ``review.listen``, and by `piigate serve` on ``http.listen``, where it
mounts them at /review (unless ``review.mount`` is off).
"""

from __future__ import annotations

import ipaddress

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from piigate.config import HostPort, Settings
from piigate.errors import ConfigError

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
HSTS = "max-age=31536000"


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP response of the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if secure:
                    headers["Strict-Transport-Security"] = HSTS
                    _secure_cookies(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secure_cookies(headers: MutableHeaders) -> None:
    cookies = headers.getlist("set-cookie")
    if not cookies:
        return
    del headers["set-cookie"]
    for cookie in cookies:
        flagged = "secure" in [p.strip().lower() for p in cookie.split(";")]
        headers.append("set-cookie", cookie if flagged else f"{cookie}; Secure")


def check_listen(
    address: HostPort, tls: bool, allow_plain_http: bool, setting: str = "review.listen"
) -> None:
    """Refuse to serve the pages in clear beyond this machine (a ``ConfigError`` naming
    ``setting``, the listener they would be served on)."""
    if tls or allow_plain_http or _is_loopback(address.host):
        return
    remedy = (
        "serve the review pages over TLS (review.tls_cert_file and review.tls_key_file)"
        if setting == "review.listen"
        else "keep it on loopback, stop mounting /review there (review.mount: false)"
    )
    raise ConfigError(
        f"{setting}: {address} is not a loopback address and the review pages would be "
        f"served there in clear; {remedy}, or say a TLS proxy is in front with "
        "--allow-plain-http (review.allow_plain_http)"
    )


def mounts_review(settings: Settings, allow_plain_http: bool = False) -> bool:
    """Whether `piigate serve` mounts the pages at /review on ``http.listen``; a
    ``ConfigError`` when that listener (which has no TLS of its own) is beyond loopback and
    neither ``allow_plain_http`` (``--allow-plain-http``) nor ``review.allow_plain_http``
    says a TLS proxy is in front — the same refusal as `piigate review`'s."""
    if not (settings.http.enabled and settings.review.mount):
        return False
    allowed = allow_plain_http or settings.review.allow_plain_http
    check_listen(settings.http.listen, False, allowed, setting="http.listen")
    return True


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

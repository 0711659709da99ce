"""Relay accepted mail to the upstream MTA (Postfix's re-injection listener) with aiosmtplib.

The client's MAIL options that matter end to end (BODY=8BITMIME, SMTPUTF8) are passed on.
Errors are translated: 4xx, timeouts and connection faults are temporary; 5xx is permanent.
"""

from __future__ import annotations

import ssl

import aiosmtplib

from piigate.config import HostPort, Settings, UpstreamSettings
from piigate.errors import ConfigError, RelayPermanentError, RelayTemporaryError
from piigate.model import Envelope

_PASSED_OPTIONS = ("BODY=", "SMTPUTF8")


class Relay:
    def __init__(
        self,
        upstream: HostPort,
        timeout: float,
        local_hostname: str,
        *,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        """With ``tls_context`` the relay requires STARTTLS and verifies as the context says."""
        self.upstream = upstream
        self.timeout = timeout
        self.local_hostname = local_hostname
        self.tls_context = tls_context

    @classmethod
    def from_settings(cls, settings: Settings) -> Relay:
        return cls(
            settings.upstream,
            settings.upstream_smtp.timeout,
            settings.smtp.hostname,
            tls_context=upstream_tls_context(settings.upstream_smtp),
        )

    async def send(self, envelope: Envelope, content: bytes) -> None:
        options = [o for o in envelope.mail_options if o.upper().startswith(_PASSED_OPTIONS)]
        client = aiosmtplib.SMTP(
            hostname=self.upstream.host,
            port=self.upstream.port,
            timeout=self.timeout,
            local_hostname=self.local_hostname,
            start_tls=self.tls_context is not None,
            tls_context=self.tls_context,
            use_tls=False,
        )
        try:
            async with client:
                errors, _ = await client.sendmail(
                    envelope.mail_from, list(envelope.rcpt_tos), content, mail_options=options
                )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise _by_code(min(codes), "upstream refused every recipient") from None
        except aiosmtplib.SMTPResponseException as exc:
            raise _by_code(exc.code, "upstream refused the message") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise RelayTemporaryError(
                f"upstream {self.upstream} unavailable: {type(exc).__name__}"
            ) from None
        if errors:
            # Some recipients were refused after others accepted: the message is delivered to
            # those, so the client must not retry (that would duplicate it).
            raise RelayPartialError(sorted(r.code for r in errors.values()))


def upstream_tls_context(upstream: UpstreamSettings) -> ssl.SSLContext | None:
    """The context for STARTTLS to the upstream: None when ``starttls`` is off; verifying the
    certificate and host name unless ``verify`` is off."""
    if not upstream.starttls:
        return None
    try:
        context = ssl.create_default_context(cafile=upstream.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"upstream_smtp.ca_file: cannot load {upstream.ca_file}: {exc}") from None
    if not upstream.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _by_code(code: int, what: str) -> RelayTemporaryError | RelayPermanentError:
    if 500 <= code < 600:
        return RelayPermanentError(f"{what} ({code})", code)
    return RelayTemporaryError(f"{what} ({code})", code)


class RelayPartialError(RelayPermanentError):
    def __init__(self, codes: list[int]) -> None:
        super().__init__(f"upstream refused {len(codes)} recipient(s) ({codes[0]})", codes[0])
        self.codes = codes

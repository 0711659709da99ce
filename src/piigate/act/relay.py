"""Relay accepted mail to the upstream MTA (Postfix's re-injection listener) with aiosmtplib.

The client's MAIL options that matter end to end (BODY=8BITMIME, SMTPUTF8) are passed on.
Errors are translated: 4xx, timeouts and connection faults are temporary; 5xx is permanent.

While the gate's SMTP listener runs, connections are kept open between messages
(``act.pool``; ``upstream_smtp.pool_size``). A reused connection that turns out to be gone
(closed, reset or answered 421) before the DATA command was sent is not an answer about the
message: it is retried once on a new connection. Once DATA was sent, a failure is a 451 as
on a new connection, never a retry, so a message is never relayed twice by the gate.
A message of 1 MiB or more is prepared for DATA in slices, the event loop running between
them (``act.wire``).
"""

from __future__ import annotations

import ssl
from typing import Any

import aiosmtplib
import structlog

from piigate.act.pool import UpstreamPool
from piigate.act.wire import SLICED_BYTES, transact_in_slices
from piigate.config import HostPort, Settings, UpstreamSettings
from piigate.errors import ConfigError, RelayPermanentError, RelayTemporaryError
from piigate.model import Envelope

log = structlog.get_logger("piigate.act")

_PASSED_OPTIONS = ("BODY=", "SMTPUTF8")
_SERVICE_CLOSING = 421


class Relay:
    def __init__(
        self,
        upstream: HostPort,
        timeout: float,
        local_hostname: str,
        *,
        tls_context: ssl.SSLContext | None = None,
        pool_size: int = 0,
        pool_idle: float = 2.0,
    ) -> None:
        """With ``tls_context`` the relay requires STARTTLS and verifies as the context says.
        ``pool_size`` idle connections (each kept ``pool_idle`` seconds) are reused once
        ``open_pool`` is called; 0: a new connection for every message."""
        self.upstream = upstream
        self.timeout = timeout
        self.local_hostname = local_hostname
        self.tls_context = tls_context
        self.pool_size = pool_size
        self.pool_idle = pool_idle
        self.pool: UpstreamPool[_Connection] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Relay:
        upstream = settings.upstream_smtp
        return cls(
            settings.upstream,
            upstream.timeout,
            settings.smtp.hostname,
            tls_context=upstream_tls_context(upstream),
            pool_size=upstream.pool_size,
            pool_idle=upstream.pool_idle,
        )

    def open_pool(self) -> None:
        """Reuse connections from now on (the SMTP listener calls this when it starts)."""
        if self.pool_size > 0 and self.pool is None:
            self.pool = UpstreamPool(self._connect, self.pool_size, self.pool_idle)

    async def close_pool(self) -> None:
        """QUIT the idle connections; later messages each get a new connection again."""
        pool, self.pool = self.pool, None
        if pool is not None:
            await pool.close()

    def close_pool_now(self) -> None:
        """``close_pool`` for synchronous callers: idle connections are closed without QUIT."""
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.close_now()

    async def send(self, envelope: Envelope, content: bytes) -> None:
        try:
            errors = await self._send(envelope, content)
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

    async def _send(self, envelope: Envelope, content: bytes) -> dict[str, Any]:
        pool = self.pool
        if pool is None:
            single = await self._connect()
            async with single:  # QUIT when done
                return await _transact(single, envelope, content)
        client, reused = await pool.take()
        try:
            return await _pooled_transaction(pool, client, envelope, content)
        except Exception as exc:
            if not (reused and _gone_before_data(client, exc)):
                raise
            log.info(
                "pooled upstream connection was gone; retrying on a new one",
                error_type=type(exc).__name__,
            )
        client, _ = await pool.take(fresh=True)
        return await _pooled_transaction(pool, client, envelope, content)

    async def _connect(self) -> _Connection:
        client = _Connection(
            hostname=self.upstream.host,
            port=self.upstream.port,
            timeout=self.timeout,
            local_hostname=self.local_hostname,
            start_tls=self.tls_context is not None,
            tls_context=self.tls_context,
            use_tls=False,
        )
        try:
            await client.connect()
        except BaseException:
            client.close()
            raise
        return client


class _Connection(aiosmtplib.SMTP):
    """aiosmtplib's client, noting whether the current transaction got as far as DATA."""

    data_sent = False

    async def data(self, message: str | bytes, /, **kwargs: Any) -> aiosmtplib.SMTPResponse:
        self.note_data_sent()
        return await super().data(message, **kwargs)

    def note_data_sent(self) -> None:
        self.data_sent = True


async def _transact(
    client: _Connection, envelope: Envelope, content: bytes
) -> dict[str, aiosmtplib.SMTPResponse]:
    """One mail transaction; the recipients refused while others accepted."""
    options = [o for o in envelope.mail_options if o.upper().startswith(_PASSED_OPTIONS)]
    client.data_sent = False
    if len(content) >= SLICED_BYTES:
        return await transact_in_slices(
            client,
            envelope.mail_from,
            list(envelope.rcpt_tos),
            content,
            options,
            before_data=client.note_data_sent,
        )
    errors, _ = await client.sendmail(
        envelope.mail_from, list(envelope.rcpt_tos), content, mail_options=options
    )
    return errors


async def _pooled_transaction(
    pool: UpstreamPool[_Connection], client: _Connection, envelope: Envelope, content: bytes
) -> dict[str, aiosmtplib.SMTPResponse]:
    """A transaction on a pool's connection: given back once it completes, closed after any
    failure or cancellation (its state is unknown)."""
    try:
        errors = await _transact(client, envelope, content)
    except BaseException:
        pool.discard(client)
        raise
    pool.give_back(client)
    return errors


def _gone_before_data(client: _Connection, exc: Exception) -> bool:
    """True when a reused connection failed before DATA was sent because the upstream had
    closed it (or was closing it: 421): the upstream cannot have taken the message."""
    if client.data_sent:
        return False
    closing = isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code == _SERVICE_CLOSING
    return closing or isinstance(exc, ConnectionError)


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

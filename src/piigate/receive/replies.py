"""The gate's SMTP replies, by name. None of them carries a PII value or exception text."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from piigate.model import Violation

TEMPFAIL = "451 4.3.0 Temporary failure in the PII gate; please try again later"
SCAN_TIMEOUT = (
    "451 4.3.0 The PII gate ran out of time screening this message; please try again later"
)
UPSTREAM_TEMPFAIL = "451 4.4.1 The next mail server is unavailable; please try again later"
LEDGER_TEMPFAIL = "451 4.3.0 The disclosure ledger is unavailable; please try again later"
QUARANTINE_TEMPFAIL = "451 4.3.0 The quarantine is unavailable; please try again later"
SHUTTING_DOWN = "451 4.3.2 The PII gate is shutting down; please try again later"
SHUTTING_DOWN_421 = "421 4.3.2 The PII gate is shutting down; please try again later"
CLIENT_NOT_ALLOWED = "554 5.7.1 This client may not send mail through the PII gate"
TOO_MANY_SESSIONS = "421 4.7.0 Too many connections to the PII gate; please try again later"
TOO_MANY_FROM_ADDRESS = (
    "421 4.7.0 Too many connections from your address to the PII gate; please try again later"
)
SESSION_TIMEOUT = "421 4.7.0 Timeout waiting for a command; closing the connection"
SESSION_DEADLINE = "421 4.7.0 This session has lasted too long; please reconnect"
DATA_TOO_SLOW = "421 4.7.0 The message is arriving too slowly; please try again later"
AUTH_LOCKED = "454 4.7.0 Too many failed authentication attempts; please try again later"
AUTH_INVALID = "535 5.7.8 Authentication credentials invalid"
AUTH_OK = "235 2.7.0 Authentication successful"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients; send the rest in another message"
AUTH_REQUIRED = "530 5.7.0 Authentication required: STARTTLS, then AUTH"
BAD_ADDRESS = "553 5.1.3 Control characters are not allowed in an address"
NUL_IN_MESSAGE = "554 5.6.0 The message contains NUL bytes, which mail may not carry"
DELIVERED = "250 2.0.0 OK: screened and relayed"
REFUSED_BY_NOTICE = (
    "250 2.0.0 Not delivered: refused by the PII gate; the sender is told why in a notice"
)
PARTIALLY_DELIVERED = "250 2.0.0 OK: screened and relayed (the next server refused some recipients)"

MAX_LINE = 500  # RFC 5321 allows 512 octets per reply line, CRLF included


def internal_only(refused: int) -> str:
    return (
        f"250 2.0.0 Delivered inside the agency only; refused for {refused} external "
        "recipient(s), the sender is told why"
    )


def held(quarantine_id: str) -> str:
    return f"250 2.0.0 Held for privacy review as {quarantine_id}; the sender will be told"


def upstream_refused(code: int) -> str:
    code = code if 500 <= code < 600 else 554
    return f"{code} 5.0.0 The next mail server refused this message ({code})"


def refusal(violations: Sequence[Violation], code: str = "550", status: str = "5.7.1") -> str:
    """One reply, a line per violation (wrapped within SMTP's line limit), multi-line as
    RFC 5321 4.2.1 has it: every line but the last is ``550-``. The faults that refuse the
    message come first (the sender fixes those first), then the rest in the rules' order."""
    lines: list[str] = []
    for violation in sorted(violations, key=lambda v: -v.action.strength):
        text = f"{violation.rule}: {violation.message}"
        text = text.encode("ascii", "replace").decode("ascii")
        lines.extend(textwrap.wrap(text, width=MAX_LINE - len(code) - len(status) - 2))
    if not lines:
        lines = ["The message breaks the sharing rules"]
    out = [f"{code}-{status} {line}" for line in lines[:-1]]
    out.append(f"{code} {status} {lines[-1]}")
    return "\r\n".join(out)

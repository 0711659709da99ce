"""Names the gate writes about a message (a Message-ID, an attachment's file name) with the
numbers in them masked, so PII a sender put in a name never reaches a log, the ledger, the
quarantine index, a notice or an SMTP reply.

A number is a run of (any script's) decimal digits, single separators allowed between them
(``123-45-6789``, ``1980.03.04``, ``4111 1111 1111 1111``); a run of six digits or more has
every digit replaced by ``*``. Shorter runs (a version, a page, a year) are kept.
"""

from __future__ import annotations

import email.utils
import re

MIN_MASKED_DIGITS = 6

_NUMBER = re.compile(r"\d(?:[-./_ \u2010-\u2015\u2212\u00a0]?\d)+")
_DIGIT = re.compile(r"\d")


def mask_label(label: str) -> str:
    """``label`` with every digit of each number of six or more digits replaced by ``*``."""
    if not any(ch.isdecimal() for ch in label):
        return label
    return _NUMBER.sub(_masked, label)


def _masked(match: re.Match[str]) -> str:
    number = match.group()
    if len(_DIGIT.findall(number)) < MIN_MASKED_DIGITS:
        return number
    return _DIGIT.sub("*", number)


def sent_date(header: str | None) -> str:
    """A message's Date header as the gate writes it (``2026-12-01 14:05 +0000``), or "" when it
    is missing or not a date: a Date header is the sender's text (raw 8-bit bytes, a number
    dressed as a date) and is never copied as it came."""
    if not header:
        return ""
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError, OverflowError):
        return ""
    return when.strftime("%Y-%m-%d %H:%M %z").strip()


def printable(text: str) -> str:
    """``text`` with bytes that were not UTF-8 (kept by the parser as lone surrogates) shown as
    U+FFFD, so it can be written into a notice or a page."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")

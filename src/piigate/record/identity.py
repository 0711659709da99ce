"""Individuals without their PII: each identity key (``ssn:<9 digits>`` or
``name-dob:<normalised name>|<YYYY-MM-DD>``, as in ``Detection.individuals``) is stored only
as HMAC-SHA-256 under the ledger's secret key. Without the key the hashes cannot be tested
against guessed SSNs, so a copy of the ledger is useless to a thief."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from datetime import date

from piigate.detect.name_keys import normalize_name
from piigate.errors import LedgerError

_SSN = re.compile(r"\d{3}-?\d{2}-?\d{4}")
_PASSPORT = re.compile(r"[A-Z]?\d{8,9}")
_A_NUMBER = re.compile(r"A?#?(\d{8,9})")
_LICENSE = re.compile(r"[A-Z0-9]{5,20}")


class Identities:
    """Keyed hashing of identity keys; the key never leaves this object."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise LedgerError("ledger key must be at least 32 bytes")
        # Keyed once; each hash copies the keyed state (a third cheaper than keying anew,
        # which counts for the 4,825 people of one list).
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)

    def __repr__(self) -> str:
        return "Identities(<key>)"

    def hash(self, identity_key: str) -> str:
        mac = self._keyed.copy()
        mac.update(identity_key.encode("utf-8"))
        return mac.hexdigest()

    def hash_all(self, identity_keys: Iterable[str]) -> tuple[str, ...]:
        """The distinct hashes, sorted (the order a record stores and chains them in)."""
        return tuple(sorted({self.hash(k) for k in identity_keys}))


def ssn_key(text: str) -> str:
    """``NNN-NN-NNNN`` (or nine digits) → ``ssn:NNNNNNNNN``; the error never echoes the input."""
    value = text.strip()
    if not _SSN.fullmatch(value):
        raise LedgerError("--ssn: expected NNN-NN-NNNN (nine digits)")
    return "ssn:" + value.replace("-", "")


def normalise_name(name: str) -> str:
    """The detector's form of a name ("Anne O'Neil", "O'NEIL, Anne", "Ms. Anne B. O'Neil" are
    one person), so an accounting query finds what the gate recorded."""
    return normalize_name(name)


def name_dob_key(name: str, dob: str) -> str:
    """``name-dob:<normalised name>|<YYYY-MM-DD>``."""
    try:
        born = date.fromisoformat(dob.strip())
    except ValueError:
        raise LedgerError("--dob: expected a date as YYYY-MM-DD") from None
    normalised = normalise_name(name)
    if not normalised:
        raise LedgerError("--name: expected a person's name")
    return f"name-dob:{normalised}|{born.isoformat()}"


def passport_key(text: str) -> str:
    """A US passport number (nine digits, or a letter and eight) → ``passport:<upper case>``."""
    value = re.sub(r"[\s-]", "", text).upper()
    if not _PASSPORT.fullmatch(value):
        raise LedgerError("--passport: expected nine digits, or a letter and eight digits")
    return f"passport:{value}"


def a_number_key(text: str) -> str:
    """An A-number (``A123456789``, ``A-12-345-678``) → ``a-number:<nine digits>``."""
    match = _A_NUMBER.fullmatch(re.sub(r"[\s-]", "", text).upper())
    if match is None:
        raise LedgerError("--a-number: expected A and eight or nine digits")
    return f"a-number:{match.group(1).zfill(9)}"


def license_key(text: str) -> str:
    """A driver's license number → ``dl:<letters and digits, upper case>`` (dashes dropped)."""
    value = re.sub(r"[\s-]", "", text).upper()
    if not _LICENSE.fullmatch(value) or sum(ch.isdigit() for ch in value) < 5:
        raise LedgerError("--dl: expected 5 to 20 letters and digits, at least five digits")
    return f"dl:{value}"

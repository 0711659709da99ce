"""The entity types piigate reports: how each is masked, named to senders, and keyed.

Sensitive alone: ``US_SSN``, ``US_DRIVER_LICENSE``, ``US_PASSPORT``, ``US_A_NUMBER``,
``PAYMENT_CARD``, ``US_BANK_ACCOUNT``. Sensitive with a person's name (reported only when a
name is in the same record, and masked with it): ``DATE_OF_BIRTH``, ``SSN_LAST4``,
``MOTHERS_MAIDEN_NAME``, ``CITIZENSHIP_STATUS``, ``CRIMINAL_HISTORY``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from piigate.detect import dates, documents, financial, pairs, ssn


@dataclass(frozen=True, slots=True)
class EntityKind:
    mask: Callable[[str], str]
    """The masked form of a key (for a paired element: of the element alone)."""
    identity: str
    """Prefix of the identity key this entity gives an individual."""
    tier: int
    """Which identity key names an individual when one record has several (lowest wins)."""
    label: tuple[str, str]
    """How the sender is told about it: singular and plural."""
    paired: bool = False
    """Sensitive only with a person's name; the identity key is ``<identity>:<name>|<key>``
    (or ``name:<name>`` when the element's value identifies no one)."""


def _last(n: int, prefix: str = "") -> Callable[[str], str]:
    return lambda key: prefix + "*" * max(len(key) - n, 3) + key[-n:]


KINDS: dict[str, EntityKind] = {
    ssn.ENTITY: EntityKind(ssn.mask_ssn, "ssn", 0, ("SSN", "SSNs")),
    documents.PASSPORT: EntityKind(
        _last(4), "passport", 2, ("passport number", "passport numbers")
    ),
    documents.A_NUMBER: EntityKind(_last(4, "A"), "a-number", 2, ("A-number", "A-numbers")),
    documents.DRIVER_LICENSE: EntityKind(
        _last(3), "dl", 2, ("driver's license number", "driver's license numbers")
    ),
    financial.CARD: EntityKind(
        financial.mask_card, "card", 3, ("payment card number", "payment card numbers")
    ),
    financial.BANK_ACCOUNT: EntityKind(
        _last(4), "bank", 3, ("bank account number", "bank account numbers")
    ),
    dates.ENTITY: EntityKind(
        lambda key: f"DOB {dates.mask_dob(key)}",
        "name-dob",
        1,
        ("name with date of birth", "names with dates of birth"),
        paired=True,
    ),
    pairs.SSN_LAST4: EntityKind(
        lambda key: f"SSN ***-**-{key}",
        "name-ssn4",
        4,
        ("name with SSN last four", "names with SSN last four"),
        paired=True,
    ),
    pairs.MAIDEN_NAME: EntityKind(
        lambda key: f"mother's maiden name {key[:1].upper()}{'*' * (len(key) - 1)}",
        "name-maiden",
        5,
        ("name with mother's maiden name", "names with mothers' maiden names"),
        paired=True,
    ),
    pairs.CITIZENSHIP: EntityKind(
        lambda key: "citizenship/immigration status ****",
        "name",
        6,
        (
            "name with citizenship or immigration status",
            "names with citizenship or immigration status",
        ),
        paired=True,
    ),
    pairs.CRIMINAL: EntityKind(
        lambda key: "criminal history",
        "name",
        6,
        ("name with criminal history", "names with criminal history"),
        paired=True,
    ),
}

PAIRED = frozenset(kind for kind, spec in KINDS.items() if spec.paired)


def describe(entity_type: str, count: int) -> str:
    """``describe("US_SSN", 3)`` → ``"3 SSNs"``, for replies and notices."""
    kind = KINDS.get(entity_type)
    singular, plural = kind.label if kind else (entity_type, entity_type)
    return f"{count:,} {singular if count == 1 else plural}"


def identity_key(entity_type: str, key: str, name: str | None = None) -> str:
    """The identity key a finding gives its individual (see ``model.Detection``)."""
    kind = KINDS[entity_type]
    if not kind.paired:
        return f"{kind.identity}:{key}"
    if kind.identity == "name":
        return f"name:{name}"
    return f"{kind.identity}:{name}|{key}"


def identity_tier(identity: str) -> int:
    prefix = identity.partition(":")[0]
    return _TIERS.get(prefix, 9)


_TIERS = {spec.identity: spec.tier for spec in KINDS.values()}

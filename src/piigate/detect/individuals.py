"""Counting individuals: identity keys from every record of a message, merged.

Each record (a table row, or a person's name with what was found next to it in prose, or a
lone identifier) gives the identity keys of the one person it describes — ``ssn:…``,
``name-dob:…``, ``passport:…`` (see ``model.Detection``). Keys that share a record, or that
are equal, are the same individual, across every part of the message (so the SSN in the body
and the same SSN beside a name and DOB in an attachment are one person). A ``name:<name>``
key (a name with a status or criminal history, which identifies no one by value) joins the
individual holding another key with that same name when there is exactly one such.

Each individual is then named by its strongest keys: its SSNs if it has any (two SSNs in one
merged group are two people), else its name+DOB keys, else the next tier (passport, A-number,
driver's license; then card and bank account; then name with SSN last four, name with
maiden name, name alone).
"""

from __future__ import annotations

from collections.abc import Iterable

from piigate.detect.entities import identity_tier


class _Groups:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        parent = self.parent.setdefault(key, key)
        while parent != key:
            grand = self.parent[parent]
            self.parent[key] = grand
            key, parent = parent, grand
        return key

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


LOOKUP_TIER = 2
"""Identity keys up to this tier (SSN, name+DOB, passport, A-number, driver's license) are
each a way to find a person's disclosures again."""


def resolve(records: Iterable[frozenset[str]]) -> frozenset[str]:
    """One key set per distinct individual: its strongest keys (``Detection.individuals``)."""
    return resolve_with_lookup_keys(records)[0]


def resolve_with_lookup_keys(
    records: Iterable[frozenset[str]],
) -> tuple[frozenset[str], frozenset[str]]:
    """The individuals (as ``resolve``), and every identity key up to ``LOOKUP_TIER`` of every
    individual (``Detection.lookup_keys``): the SSN and the name+DOB of a person who had
    both, so the ledger finds them by either."""
    groups = _Groups()
    for record in records:
        first, *rest = record or ("",)
        if not first:
            continue
        groups.find(first)
        for key in rest:
            groups.union(first, key)
    _join_bare_names(groups)
    members: dict[str, list[str]] = {}
    for key in groups.parent:
        members.setdefault(groups.find(key), []).append(key)
    result: set[str] = set()
    lookup: set[str] = set()
    for keys in members.values():
        tiers = {k: identity_tier(k) for k in keys}
        best = min(tiers.values())
        result.update(k for k, tier in tiers.items() if tier == best)
        lookup.update(k for k, tier in tiers.items() if tier <= LOOKUP_TIER)
    return frozenset(result), frozenset(lookup)


def _join_bare_names(groups: _Groups) -> None:
    named: dict[str, set[str]] = {}
    for key in list(groups.parent):
        prefix, _, rest = key.partition(":")
        if prefix != "name" and prefix.startswith("name-"):
            named.setdefault(rest.partition("|")[0], set()).add(groups.find(key))
    for key in [k for k in groups.parent if k.startswith("name:")]:
        roots = named.get(key[5:], set())
        if len(roots) == 1:
            groups.union(next(iter(roots)), key)

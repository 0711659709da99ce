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

import bisect
import heapq
from array import array
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet

from piigate.detect.entities import identity_tier

_SSN_PREFIX = "ssn:"


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


def resolve(records: Iterable[frozenset[str]]) -> AbstractSet[str]:
    """One key set per distinct individual: its strongest keys (``Detection.individuals``)."""
    return resolve_with_lookup_keys(records)[0]


def resolve_with_lookup_keys(
    records: Iterable[frozenset[str]],
) -> tuple[AbstractSet[str], AbstractSet[str]]:
    """The individuals (as ``resolve``), and every identity key up to ``LOOKUP_TIER`` of every
    individual (``Detection.lookup_keys``): the SSN and the name+DOB of a person who had
    both, so the ledger finds them by either."""
    resolver = Resolver()
    for record in records:
        resolver.add(record)
    return resolver.resolve()


class Resolver:
    """Records added as they are found, resolved into individuals at the end. A record that
    is one SSN and nothing else (most rows of a list of people) is kept as a 4-byte number
    rather than in the union-find: it is its own individual unless another record holds it."""

    __slots__ = ("groups", "lone_ssns")

    def __init__(self) -> None:
        self.groups = _Groups()
        self.lone_ssns = array("I")

    def add(self, record: AbstractSet[str]) -> None:
        if len(record) == 1:
            number = _ssn_number(next(iter(record)))
            if number is not None:
                self.lone_ssns.append(number)
                return
        first, *rest = record or ("",)
        if not first:
            return
        self.groups.find(first)
        for key in rest:
            self.groups.union(first, key)

    def resolve(self) -> tuple[AbstractSet[str], AbstractSet[str]]:
        groups = self.groups
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
        if not self.lone_ssns:
            return frozenset(result), frozenset(lookup)
        grouped = {n for k in groups.parent if (n := _ssn_number(k)) is not None}
        lone = _sorted_unique(self.lone_ssns, skip=grouped)
        self.lone_ssns = array("I")
        return IdentityKeys(lone, frozenset(result)), IdentityKeys(lone, frozenset(lookup))


class IdentityKeys(AbstractSet[str]):
    """A set of identity keys (``ssn:123456789``…) holding lone SSNs as sorted 4-byte numbers
    (a million people: 4 MB, against about 90 MB as a set of strings) and the other keys as
    strings. Iterating yields every key as a string, SSNs last, in number order."""

    __slots__ = ("others", "ssns")

    def __init__(self, ssns: array[int], others: frozenset[str]) -> None:
        self.ssns = ssns
        """Sorted, distinct, none of them also in ``others``."""
        self.others = others

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if key in self.others:
            return True
        number = _ssn_number(key)
        if number is None:
            return False
        at = bisect.bisect_left(self.ssns, number)
        return at < len(self.ssns) and self.ssns[at] == number

    def __iter__(self) -> Iterator[str]:
        yield from self.others
        for number in self.ssns:
            yield f"{_SSN_PREFIX}{number:09d}"

    def __len__(self) -> int:
        return len(self.others) + len(self.ssns)

    def __repr__(self) -> str:
        return f"IdentityKeys(<{len(self)} keys>)"

    __hash__ = AbstractSet._hash

    @classmethod
    def _from_iterable(cls, keys: Iterable[str]) -> frozenset[str]:  # type: ignore[override]
        return frozenset(keys)


def _ssn_number(key: str) -> int | None:
    """``ssn:NNNNNNNNN`` → its nine digits as a number; None for any other key."""
    digits = key[4:]
    if len(key) == 13 and key.startswith(_SSN_PREFIX) and digits.isascii() and digits.isdigit():
        return int(digits)
    return None


def _sorted_unique(numbers: array[int], skip: AbstractSet[int]) -> array[int]:
    """``numbers`` sorted, each once, without those in ``skip``; sorted in slices so that
    no more than one slice is ever held as Python ints."""
    slices = [
        array("I", sorted(numbers[at : at + _SORT_SLICE]))
        for at in range(0, len(numbers), _SORT_SLICE)
    ]
    out = array("I")
    last = -1
    for number in heapq.merge(*slices):
        if number != last and number not in skip:
            out.append(number)
        last = number
    return out


_SORT_SLICE = 1 << 16


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

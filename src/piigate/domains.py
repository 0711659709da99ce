"""Addresses and organisations: which recipients are internal, and which organisation (the
registered domain, by the Public Suffix List shipped in ``publicsuffixlist``) each belongs to."""

from __future__ import annotations

from collections.abc import Iterable

from publicsuffixlist import PublicSuffixList


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(".").lower()


class Domains:
    def __init__(self, internal: Iterable[str]) -> None:
        self.internal = tuple(d.strip(".").lower() for d in internal)
        self._psl = PublicSuffixList(only_icann=True)

    def is_internal(self, address: str) -> bool:
        domain = domain_of(address)
        return any(domain == d or domain.endswith("." + d) for d in self.internal)

    def organization(self, address: str) -> str:
        domain = domain_of(address)
        return self._psl.privatesuffix(domain) or domain

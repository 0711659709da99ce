"""What the gate tells an observer (the metrics) about each message: a small hook, so the
pipeline stays free of any metrics library.

Observers receive rule ids, verdicts, dispositions, reply codes and durations, never a
message's content or an address.
"""

from __future__ import annotations

from typing import Protocol

from piigate.model import Outcome, Screening


class GateObserver(Protocol):
    def screened(self, screening: Screening, outcome: Outcome, scan_seconds: float) -> None:
        """A message was screened and acted on."""

    def scan_timed_out(self) -> None:
        """Screening exceeded ``scan.timeout``; the client was answered 451."""

    def upstream_failed(self, kind: str) -> None:
        """The upstream MTA failed: ``temporary``, ``permanent`` or ``partial``."""

    def ledger_failed(self) -> None:
        """The disclosure ledger could not be checked or written."""

    def replied(self, code: int) -> None:
        """The gate answered a DATA command with this SMTP code."""

    def auth_refused(self, reason: str) -> None:
        """An SMTP AUTH failed: ``wrong`` (a bad password) or ``locked`` (throttled)."""

    def session_limited(self, limit: str) -> None:
        """An SMTP session was refused or ended by a limit (``per_address``, ``sessions``,
        ``timeout``, ``deadline``, ``data_rate``)."""


class NullObserver:
    """Observes nothing: the default, for ``piigate scan`` and for tests that need no metrics."""

    def screened(self, screening: Screening, outcome: Outcome, scan_seconds: float) -> None:
        pass

    def scan_timed_out(self) -> None:
        pass

    def upstream_failed(self, kind: str) -> None:
        pass

    def ledger_failed(self) -> None:
        pass

    def replied(self, code: int) -> None:
        pass

    def auth_refused(self, reason: str) -> None:
        pass

    def session_limited(self, limit: str) -> None:
        pass


class Observers:
    """Several observers as one (the metrics, and the report's verdict counts)."""

    def __init__(self, *observers: GateObserver) -> None:
        self.observers = observers

    def screened(self, screening: Screening, outcome: Outcome, scan_seconds: float) -> None:
        for observer in self.observers:
            observer.screened(screening, outcome, scan_seconds)

    def scan_timed_out(self) -> None:
        for observer in self.observers:
            observer.scan_timed_out()

    def upstream_failed(self, kind: str) -> None:
        for observer in self.observers:
            observer.upstream_failed(kind)

    def ledger_failed(self) -> None:
        for observer in self.observers:
            observer.ledger_failed()

    def replied(self, code: int) -> None:
        for observer in self.observers:
            observer.replied(code)

    def auth_refused(self, reason: str) -> None:
        for observer in self.observers:
            observer.auth_refused(reason)

    def session_limited(self, limit: str) -> None:
        for observer in self.observers:
            observer.session_limited(limit)

"""The gate's Prometheus metrics, in a registry of its own (never the global default one).

Labels are verdicts, rule ids, dispositions, failure kinds and reply codes: a bounded set of
names from the policy and the code, never an address or a value from a message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from piigate.errors import PiigateError
from piigate.model import Outcome, Screening

SCAN_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class QuarantineDepth(Collector):
    """Messages held for review, counted when Prometheus scrapes."""

    def __init__(self, count: Callable[[], int]) -> None:
        self.count = count

    def collect(self) -> Iterable[Metric]:
        try:
            depth = self.count()
        except PiigateError:
            depth = 0
        gauge = GaugeMetricFamily(
            "piigate_quarantine_depth", "Messages held in the quarantine awaiting review."
        )
        gauge.add_metric([], depth)
        yield gauge


class GateMetrics:
    """Implements the gate's observer hook (``piigate.observe.GateObserver``)."""

    def __init__(self, held: Callable[[], int]) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "piigate_messages",
            "Messages screened, by verdict and final disposition.",
            ["verdict", "disposition"],
            registry=self.registry,
        )
        self.violations = Counter(
            "piigate_rule_violations",
            "Rule violations found, by rule id and the rule's action.",
            ["rule", "action"],
            registry=self.registry,
        )
        self.audit_violations = Counter(
            "piigate_audit_rule_violations",
            "Violations of rules in audit mode (delivered anyway), by rule id and the action the"
            " rule would have taken.",
            ["rule", "action"],
            registry=self.registry,
        )
        self.scan_seconds = Histogram(
            "piigate_scan_seconds",
            "Time to screen one message (parse, extract, detect, decide).",
            buckets=SCAN_BUCKETS,
            registry=self.registry,
        )
        self.scan_timeouts = Counter(
            "piigate_scan_timeouts", "Messages that ran out of scan time.", registry=self.registry
        )
        self.upstream_errors = Counter(
            "piigate_upstream_errors",
            "Failures of the upstream MTA, by kind (temporary, permanent, partial).",
            ["kind"],
            registry=self.registry,
        )
        self.ledger_errors = Counter(
            "piigate_ledger_errors",
            "Disclosure ledger checks or writes that failed.",
            registry=self.registry,
        )
        self.replies = Counter(
            "piigate_smtp_replies",
            "Replies to DATA, by SMTP code.",
            ["code"],
            registry=self.registry,
        )
        self.auth_failures = Counter(
            "piigate_smtp_auth_failures",
            "Failed SMTP AUTH attempts, by reason (wrong password, locked out).",
            ["reason"],
            registry=self.registry,
        )
        self.session_limits = Counter(
            "piigate_smtp_session_limits",
            "SMTP sessions refused or ended by a limit, by limit.",
            ["limit"],
            registry=self.registry,
        )
        self.registry.register(QuarantineDepth(held))

    def screened(self, screening: Screening, outcome: Outcome, scan_seconds: float) -> None:
        verdict = screening.verdict
        self.messages.labels(verdict.action.value, outcome.disposition.value).inc()
        for violation in verdict.violations:
            self.violations.labels(violation.rule, violation.action.value).inc()
        for violation in verdict.audit_violations:
            self.audit_violations.labels(violation.rule, violation.action.value).inc()
        self.scan_seconds.observe(scan_seconds)

    def scan_timed_out(self) -> None:
        self.scan_timeouts.inc()

    def upstream_failed(self, kind: str) -> None:
        self.upstream_errors.labels(kind).inc()

    def ledger_failed(self) -> None:
        self.ledger_errors.inc()

    def replied(self, code: int) -> None:
        self.replies.labels(str(code)).inc()

    def auth_refused(self, reason: str) -> None:
        self.auth_failures.labels(reason).inc()

    def session_limited(self, limit: str) -> None:
        self.session_limits.labels(limit).inc()

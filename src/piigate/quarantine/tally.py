"""Every verdict counted, for the report: not only held mail but refusals by rule, mail
encrypted on the sender's behalf, audit-mode hits (which otherwise reach only the log), per
day, with the senders and recipient organisations involved.

The gate's observer hook adds to counters in memory (no I/O on the message's path); the
service writes them to ``verdict_counts`` in the quarantine's database every few seconds and
when it stops, one UPSERT per (day, kind, name), so several gate instances add up. Names are
rule ids, outcomes, sender addresses and organisation domains: never a value from a message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from piigate.model import Action, Disposition, Outcome, Screening
from piigate.observe import NullObserver
from piigate.quarantine.store import QuarantineStore

OUTCOME, RULE, AUDIT, SENDER, ORGANIZATION = "outcome", "rule", "audit", "sender", "organization"
"""The kinds of count: a message's outcome; an enforced rule (name ``action:rule``); an
audit-mode rule; and, for mail that broke a rule, its sender and recipient organisations."""


@dataclass(frozen=True, slots=True)
class Count:
    day: str
    kind: str
    name: str
    count: int


def outcome_name(screening: Screening, outcome: Outcome) -> str:
    verdict = screening.verdict
    if outcome.disposition is Disposition.TEMPFAILED:
        return "temporary failure"
    if outcome.disposition is Disposition.QUARANTINED:
        return "held"
    if outcome.disposition is Disposition.REFUSED:
        return "refused"
    if verdict.action is Action.REJECT:
        return "refused (delivered inside only)"
    if verdict.action is Action.ENCRYPT:
        return "encrypted on the sender's behalf"
    if verdict.audit_violations:
        return "delivered (audit-mode hit)"
    return "delivered"


class VerdictTally(NullObserver):
    """A gate observer that counts verdicts (and ignores the rest)."""

    def __init__(self, store: QuarantineStore, organization: Callable[[str], str]) -> None:
        self.store = store
        self.organization = organization
        self._pending: Counter[tuple[str, str, str]] = Counter()

    def screened(self, screening: Screening, outcome: Outcome, scan_seconds: float) -> None:
        day = datetime.now(UTC).date().isoformat()
        verdict = screening.verdict
        counts = self._pending
        counts[day, OUTCOME, outcome_name(screening, outcome)] += 1
        for violation in verdict.violations:
            counts[day, RULE, f"{violation.action.value}:{violation.rule}"] += 1
        for violation in verdict.audit_violations:
            counts[day, AUDIT, violation.rule] += 1
        if verdict.violations or verdict.audit_violations:
            counts[day, SENDER, screening.envelope.mail_from or "(null sender)"] += 1
            for org in {self.organization(r) for r in verdict.external_recipients}:
                counts[day, ORGANIZATION, org] += 1

    def flush(self) -> int:
        """Write the counts so far (added to what is there); the number of rows written. On
        a database error they are kept for the next flush."""
        pending, self._pending = self._pending, Counter()
        if not pending:
            return 0
        try:
            self.store.write_all(
                *(
                    (
                        "INSERT INTO verdict_counts (day, kind, name, count) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (day, kind, name)"
                        " DO UPDATE SET count = verdict_counts.count + excluded.count",
                        (day, kind, name, n),
                    )
                    for (day, kind, name), n in pending.items()
                )
            )
        except BaseException:
            self._pending.update(pending)
            raise
        return len(pending)


def verdict_counts(store: QuarantineStore) -> list[Count]:
    rows = store.execute("SELECT day, kind, name, count FROM verdict_counts ORDER BY day, kind")
    return [Count(str(d), str(k), str(n), int(c)) for d, k, n, c in rows]

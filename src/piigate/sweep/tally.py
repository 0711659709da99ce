"""The figures of a sweep, added up on the client as partitions finish: the incident table's
rows (one per external message) and the totals by verdict, month, organisation and rule."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from piigate.sweep.sources import SourceProblem
from piigate.sweep.work import PartitionResult, SweptMessage

NO_DATE = "undated"


@dataclass(slots=True)
class Tally:
    partitions: int = 0
    seen: int = 0
    skipped: int = 0
    internal: int = 0
    recorded: int = 0
    resumed: int = 0
    """Partitions an interrupted sweep had finished, taken from its state (``--resume``)."""
    already_recorded: int = 0
    problems: list[SourceProblem] = field(default_factory=list)
    external: int = 0
    disclosures: int = 0
    incidents: list[SweptMessage] = field(default_factory=list)
    """The external messages that broke a rule (the report's table; messages.csv has every
    external message, written as results arrive, so the client keeps only these)."""
    verdicts: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    months: Counter[str] = field(default_factory=Counter)
    organizations: Counter[str] = field(default_factory=Counter)
    pii: Counter[str] = field(default_factory=Counter)
    individuals: set[str] = field(default_factory=set)
    individuals_total: int = 0
    findings: int = 0

    def add(self, result: PartitionResult) -> None:
        self.partitions += 1
        self.seen += result.seen
        self.skipped += result.skipped
        self.internal += result.internal
        self.problems += result.problems
        for message in result.messages:
            self.add_message(message)

    def add_message(self, message: SweptMessage) -> None:
        """Every external message is counted; the charts count the incidents (a rule broken)."""
        self.external += 1
        self.disclosures += message.disclosure
        self.verdicts[message.action] += 1
        self.findings += sum(message.pii_counts.values())  # findings lists a sample
        self.pii.update(message.pii_counts)
        self.individuals.update(message.individual_digests)
        self.individuals_total += message.individuals
        if not message.rules:
            return
        self.incidents.append(message)
        self.rules.update(message.rules)
        self.months[message.sent[:7] or NO_DATE] += 1
        self.organizations.update(message.organizations)

    def summary(self) -> dict[str, Any]:
        return {
            "partitions": self.partitions,
            "messages": self.seen,
            "filtered_out": self.skipped,
            "internal": self.internal,
            "external": self.external,
            "incidents": len(self.incidents),
            "disclosures": self.disclosures,
            "verdicts": dict(sorted(self.verdicts.items())),
            "rules": dict(self.rules.most_common()),
            "by_month": dict(sorted(self.months.items())),
            "by_organization": dict(self.organizations.most_common()),
            "pii": dict(self.pii.most_common()),
            "findings": self.findings,
            "individuals": len(self.individuals),
            "individuals_complete": self.resumed == 0,
            "resumed_partitions": self.resumed,
            "individuals_in_messages": self.individuals_total,
            "recorded": self.recorded,
            "already_recorded": self.already_recorded,
            "problems": [{"source": p.source, "reason": p.reason} for p in self.problems],
        }

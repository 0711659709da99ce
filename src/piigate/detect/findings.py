"""Findings kept compactly: each one up to ``KEEP_PER_PLACE`` of its type in its place and
column, the rest counted exactly.

A table of a million rows, each with an SSN, would otherwise hold a million ``Finding``
values (about 250 bytes each) until the message is decided. What the policy reads stays
exact: every place, column, grade and type that has findings has kept ones (the first
``KEEP_PER_PLACE``), and the counts of the rest are in ``Detection.omitted``.
"""

from __future__ import annotations

from piigate.model import Finding, FindingCount, Grade

KEEP_PER_PLACE = 100
"""Findings kept of each type in each place, column and grade (the report, the quarantine
page and ``scan --json`` show these and say how many more there were)."""

PlaceKey = tuple[str, str | None, Grade, str]


class FindingTally:
    """The findings of one message as they are found: kept, or counted."""

    __slots__ = ("_counts", "kept")

    def __init__(self) -> None:
        self.kept: list[Finding] = []
        self._counts: dict[PlaceKey, int] = {}

    def add(self, finding: Finding) -> None:
        place = (finding.where, finding.column, finding.grade, finding.entity_type)
        seen = self._counts.get(place, 0)
        self._counts[place] = seen + 1
        if seen < KEEP_PER_PLACE:
            self.kept.append(finding)

    def keeps(self, where: str, column: str | None, grade: Grade, entity_type: str) -> bool:
        """Whether a finding of this place would be kept (so the caller can skip making it:
        ``count`` then counts it)."""
        return self._counts.get((where, column, grade, entity_type), 0) < KEEP_PER_PLACE

    def count(self, where: str, column: str | None, grade: Grade, entity_type: str) -> None:
        """One more finding of this place, not kept (``keeps`` said False)."""
        place = (where, column, grade, entity_type)
        self._counts[place] = self._counts[place] + 1

    def omitted(self) -> tuple[FindingCount, ...]:
        return tuple(
            FindingCount(entity_type, where, column, grade, seen - KEEP_PER_PLACE)
            for (where, column, grade, entity_type), seen in self._counts.items()
            if seen > KEEP_PER_PLACE
        )

"""Say what was found in words a sender understands, masked and counted:
``attachment clients.csv: 4,825 SSNs in column 'SSN'; body: 1 SSN (***-**-8167)``."""

from __future__ import annotations

from collections.abc import Sequence

from piigate.model import Finding, FindingCount

MAX_PLACES = 5


def count_phrase(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def describe_findings(findings: Sequence[Finding], omitted: Sequence[FindingCount] = ()) -> str:
    """Group findings by place (part and column), count them by type (with those only
    counted, ``omitted``); show the masked value when a place holds a single finding."""
    # Imported here: the entity table sits on Presidio's recognizers, which `rules check`
    # (loading this module through the rule checks) must not pay for.
    from piigate.detect.entities import describe  # noqa: PLC0415

    places: dict[tuple[str, str | None], dict[str, int]] = {}
    single: dict[tuple[str, str | None], str] = {}
    for finding in findings:
        counts = places.setdefault((finding.where, finding.column), {})
        counts[finding.entity_type] = counts.get(finding.entity_type, 0) + 1
        single[(finding.where, finding.column)] = finding.masked
    for more in omitted:
        counts = places.setdefault((more.where, more.column), {})
        counts[more.entity_type] = counts.get(more.entity_type, 0) + more.count
    phrases = []
    for (where, column), counts in list(places.items())[:MAX_PLACES]:
        what = ", ".join(describe(kind, n) for kind, n in counts.items())
        if column:
            what += f" in column '{column}'"
        if sum(counts.values()) == 1:
            what += f" ({single[(where, column)]})"
        phrases.append(f"{where}: {what}")
    if len(places) > MAX_PLACES:
        phrases.append(f"and {len(places) - MAX_PLACES} more places")
    return "; ".join(phrases)

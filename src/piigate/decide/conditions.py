"""The conditions a rule can name. Each looks at the facts of one message and returns the
masked details that make it hold (an empty tuple: it does not hold)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from piigate.detect.engine import describe
from piigate.model import Detection, Envelope, Extraction, Grade


@dataclass(frozen=True, slots=True)
class Facts:
    envelope: Envelope
    extraction: Extraction
    detection: Detection
    external: bool


@dataclass(frozen=True, slots=True)
class Hold:
    """Why a condition holds, in words safe to show the sender (masked, counted)."""

    summary: str
    parts: str


Condition = Callable[[Facts], Hold | None]


def sensitive_pii_in_plaintext(facts: Facts) -> Hold | None:
    plain = [f for f in facts.detection.findings if f.grade is Grade.PLAINTEXT]
    if not plain:
        return None
    counts: dict[str, int] = {}
    places: dict[str, None] = {}
    for finding in plain:
        counts[finding.entity_type] = counts.get(finding.entity_type, 0) + 1
        places[finding.where] = None
    what = ", ".join(describe(kind, n) for kind, n in sorted(counts.items()))
    where = ", ".join(places)
    return Hold(summary=f"{what} in {where}", parts=where)


def unscannable_content(facts: Facts) -> Hold | None:
    blocking = facts.extraction.unscannable
    if not blocking:
        return None
    where = ", ".join(dict.fromkeys(d.where for d in blocking))
    reasons = "; ".join(dict.fromkeys(d.reason for d in blocking))
    return Hold(summary=reasons, parts=where)


CONDITIONS: dict[str, Condition] = {
    "sensitive-pii-in-plaintext": sensitive_pii_in_plaintext,
    "unscannable-content": unscannable_content,
}

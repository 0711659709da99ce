"""Which recognizers a text can wake: each gated recognizer (one with ``TRIGGERS``) finds
nothing unless one of its trigger words occurs in the lower-cased text, so the detector asks
the analyzer only for the entities whose recognizers could find something.

The recognizers check their own triggers too (``PiiRecognizer.analyze``), each scanning the
whole text once per trigger: 61 scans of every 200,000-character chunk, about 40 % of the
time of a clean 1 MB body. Here the text is split at whitespace once per chunk, with every
digit read as 0, and the distinct tokens are searched: a trigger without whitespace (digits
read as 0 too) occurs in them whenever it occurs in the text, and they are few (prose
repeats its words, a table its labels and number shapes). The gate may let through an
entity whose trigger does not occur (``l4`` when the text has ``l5``); the recognizer's own
check then finds nothing, so the findings are exactly those without the gate. Triggers with
a space (``green card``) are looked for in the text itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from piigate.detect.recognizer import PiiRecognizer

_DIGITS_AS_ZERO = str.maketrans("123456789", "000000000")


class TriggerGate:
    """The entities worth analysing in a text, by their recognizers' trigger words."""

    __slots__ = ("_always", "_entities", "_gated")

    def __init__(self, recognizers: Sequence[PiiRecognizer], entities: Sequence[str]) -> None:
        self._entities = list(entities)
        by_entity: dict[str, list[tuple[str, ...]]] = {}
        for recognizer in recognizers:
            by_entity.setdefault(recognizer.ENTITY, []).append(tuple(recognizer.triggers))
        self._always = {e for e, lists in by_entity.items() if not all(lists)}
        self._gated: dict[str, tuple[set[str], set[str]]] = {}
        for entity, lists in by_entity.items():
            if entity in self._always:
                continue
            words = {t for triggers in lists for t in triggers}
            spaced = {t for t in words if _has_space(t)}
            self._gated[entity] = ({t.translate(_DIGITS_AS_ZERO) for t in words - spaced}, spaced)

    def entities(self, text: str) -> list[str]:
        """``entities`` less those whose every recognizer lacks a trigger word in ``text``."""
        if not self._gated:
            return self._entities
        lower = text.lower()
        tokens = " ".join(set(lower.translate(_DIGITS_AS_ZERO).split()))
        present = set()
        for entity, triggers in self._gated.items():
            if any(t in tokens for t in triggers[0]) or any(t in lower for t in triggers[1]):
                present.add(entity)
        return [e for e in self._entities if e in self._always or e in present]


def _has_space(trigger: str) -> bool:
    return any(ch.isspace() for ch in trigger)

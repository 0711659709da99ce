"""Which recognizers a text can wake: each gated recognizer (one with ``TRIGGERS``) finds
nothing unless one of its trigger words occurs in the lower-cased text, so the detector asks
the analyzer only for the entities whose recognizers could find something.

The recognizers check their own triggers too (``PiiRecognizer.analyze``), each scanning the
whole text once per trigger: 61 scans of every 200,000-character chunk, about 40 % of the
time of a clean 1 MB body. Here the words of the text are gathered once per chunk; a trigger
made only of the letters a-z occurs in the text exactly when it occurs in one of its
distinct runs of such letters, which are few (prose repeats its words, a table its labels);
the other triggers (``a#``, ``d.o.b``, ``green card``) are looked for in the text itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from piigate.detect.recognizer import PiiRecognizer

_LETTERS = re.compile(r"[a-z]+")


class TriggerGate:
    """The entities worth analysing in a text, by their recognizers' trigger words."""

    __slots__ = ("_always", "_entities", "_gated")

    def __init__(self, recognizers: Sequence[PiiRecognizer], entities: Sequence[str]) -> None:
        self._entities = list(entities)
        by_entity: dict[str, list[tuple[str, ...]]] = {}
        for recognizer in recognizers:
            by_entity.setdefault(recognizer.ENTITY, []).append(tuple(recognizer.triggers))
        self._always = {e for e, lists in by_entity.items() if not all(lists)}
        self._gated = {
            e: {t for triggers in lists for t in triggers}
            for e, lists in by_entity.items()
            if e not in self._always
        }

    def entities(self, text: str) -> list[str]:
        """``entities`` less those whose every recognizer lacks a trigger word in ``text``."""
        if not self._gated:
            return self._entities
        lower = text.lower()
        words = "\n".join(set(_LETTERS.findall(lower)))
        present = set()
        for entity, triggers in self._gated.items():
            if any(t in (words if t.isalpha() and t.isascii() else lower) for t in triggers):
                present.add(entity)
        return [e for e in self._entities if e in self._always or e in present]

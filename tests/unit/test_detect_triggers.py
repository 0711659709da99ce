"""The detector's trigger gate asks for exactly the entities whose recognizers' own trigger
check would let them look: on the labelled and business sets, and on random text made of
trigger words, their pieces and look-alikes."""

from __future__ import annotations

import random

from piigate.config import DetectionSettings
from piigate.detect.registry import build_recognizers
from piigate.detect.triggers import TriggerGate
from tests.detection.generate import business_set, labelled_set


def texts() -> list[str]:
    found = []
    for case in [*labelled_set(), *business_set()]:
        for segment in case.segments:
            found.append(segment.text)
            found.extend(" | ".join(row) for table in segment.tables for row in table.rows)
    return found


def test_gate_keeps_exactly_the_entities_a_recognizer_would_look_for() -> None:
    """Per text: an entity is asked for when it has an ungated recognizer or one of its
    recognizers' trigger words occurs in the lower-cased text (the recognizer's own check)."""
    recognizers = build_recognizers(DetectionSettings().recognizers)
    entities = sorted({r.ENTITY for r in recognizers})
    gate = TriggerGate(recognizers, entities)
    words = sorted({t for r in recognizers for t in r.triggers})
    rng = random.Random(3)
    noise = [
        "".join(
            rng.choice((rng.choice(words), rng.choice(words)[1:], rng.choice(words).upper()))
            + rng.choice((" ", "", "-", "\n", "é", "1", "#"))
            for _ in range(rng.randint(1, 6))
        )
        for _ in range(3_000)
    ]
    kept_some = 0
    for text in texts() + noise:
        lower = text.lower()
        expected = [
            e
            for e in entities
            if any(
                e == r.ENTITY and (not r.triggers or any(t in lower for t in r.triggers))
                for r in recognizers
            )
        ]
        got = gate.entities(text)
        assert got == expected, text
        kept_some += len(got) < len(entities)
    assert kept_some > 1_000

"""The detector's trigger gate asks for every entity whose recognizers' own trigger check
would let them look (and few others): on the labelled and business sets, and on random
text made of trigger words, their pieces and look-alikes."""

from __future__ import annotations

import random

from piigate.config import DetectionSettings
from piigate.detect.recognizer import PiiRecognizer
from piigate.detect.registry import build_recognizers
from piigate.detect.triggers import TriggerGate
from tests.detection.generate import labelled_texts


def looked_for(
    recognizers: list[PiiRecognizer], entities: list[str], text: str, zeros: bool
) -> list[str]:
    """The recognizers' own trigger check (``zeros``: every digit read as 0, in the text and
    the triggers)."""
    table = str.maketrans("123456789", "000000000") if zeros else {}
    lower = text.lower().translate(table)
    return [
        e
        for e in entities
        if any(
            e == r.ENTITY
            and (not r.triggers or any(t.translate(table) in lower for t in r.triggers))
            for r in recognizers
        )
    ]


def test_gate_asks_for_every_entity_a_recognizer_would_look_for() -> None:
    """Per text: every entity with an ungated recognizer, or with a trigger word in the
    lower-cased text (the recognizer's own check), is asked for; the only others are those
    whose trigger occurs once digits are read as 0 (``l4`` in ``l9``)."""
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
    for text in labelled_texts() + noise:
        got = gate.entities(text)
        assert set(looked_for(recognizers, entities, text, zeros=False)) <= set(got), text
        assert got == looked_for(recognizers, entities, text, zeros=True), text
        kept_some += len(got) < len(entities)
    assert kept_some > 1_000

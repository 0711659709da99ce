"""The SSN and bank account patterns written digits-first (the edge before the number
checked after its first digit; shaped and bare SSNs in one pattern) match exactly what the
lookbehind-first patterns matched, on the labelled set and on random text dense in digits,
separators and edge characters."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from piigate.detect import financial, ssn
from tests.detection.generate import labelled_texts

_BEFORE = r"(?<![\w\-.])"
LOOKBEHIND_FIRST = {
    "shaped": re.compile(_BEFORE + r"\d{3}([- ])\d{2}\1\d{4}" + ssn._EDGE_AFTER),
    "bare": re.compile(_BEFORE + r"\d{9}" + ssn._EDGE_AFTER),
    "account": re.compile(r"(?<![\w\-./$])\d{6,17}(?![\w\-/]|[.,]\d)"),
}
Spans = list[tuple[int, int, str]]


def spans(pattern: re.Pattern[str], text: str) -> Spans:
    return [(m.start(), m.end(), m.group()) for m in pattern.finditer(text)]


def ssn_spans(bare: bool) -> Callable[[str], Spans]:
    """The shaped or the bare numbers of the one SSN pattern."""
    return lambda text: [
        (m.start(), m.end(), m.group())
        for m in ssn._NUMBER.finditer(text)
        if bool(m.group("bare")) is bare
    ]


DIGITS_FIRST: dict[str, Callable[[str], Spans]] = {
    "shaped": ssn_spans(bare=False),
    "bare": ssn_spans(bare=True),
    "account": lambda text: spans(financial._ACCOUNT, text),
}
EDGES = "- - . _\n\tax/|,:#$\u00e9\u2212"


def random_texts(count: int) -> list[str]:
    """Runs of 1-11 digits (ASCII, sometimes another script's) between random edge characters:
    SSN shapes, near-misses and numbers glued to words, dots and dashes."""
    rng = random.Random(21)
    texts = []
    for _ in range(count):
        pieces = []
        for _ in range(rng.randint(1, 12)):
            run = "".join(rng.choices("0123456789", k=rng.randint(1, 11)))
            if rng.random() < 0.3:
                sep = rng.choice("- ")
                run = f"{run[:3]:0>3}{sep}{run[3:5]:0>2}{sep}{rng.randint(0, 9999):04}"
            if rng.random() < 0.05:
                run = run.replace(rng.choice("0123456789"), "\u0663")
            pieces.append(run)
            pieces.append("".join(rng.choices(EDGES, k=rng.randint(0, 2))))
        texts.append("".join(pieces))
    return texts


@pytest.mark.parametrize("shape", sorted(DIGITS_FIRST))
def test_digits_first_patterns_match_what_the_lookbehind_patterns_matched(shape: str) -> None:
    """Same matches (start, end, text) on every text of the labelled and business sets and on
    20,000 random strings; the random ones do hold matches, and near-misses at edges."""
    old, new = LOOKBEHIND_FIRST[shape], DIGITS_FIRST[shape]
    labelled, noise = labelled_texts(), random_texts(20_000)
    for text in labelled + noise:
        assert new(text) == spans(old, text), text
    assert sum(bool(old.search(text)) for text in noise) > 1_000
    assert sum(bool(old.search(text)) for text in labelled) > 100
    edges = "x123-45-6789 .123-45-6789 -123-45-6789 123-45-6789 123 45 6789 123456789"
    assert new(edges) == spans(old, edges) != []

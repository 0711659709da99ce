"""The one normalisation that makes the same person's name one key everywhere, and its mask.

Kept apart from ``names`` (the lexicon and spaCy NER) so that the ledger's identity keys
(``record.identity``) need neither spaCy nor the name lists. The rules are in ``names``'s
docstring: "Last, First" turned round, words folded to ASCII lower case, titles, suffixes and
middle names dropped, ``first last`` kept.
"""

from __future__ import annotations

import re
import unicodedata

TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "rev", "hon"})
SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "md", "phd", "esq", "dds", "rn"})
_NOT_LETTER = re.compile(r"[^a-z\-]+")


def fold(word: str) -> str:
    if not word.isascii():
        word = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return _NOT_LETTER.sub("", word.lower()).strip("-")


def normalize_name(text: str) -> str:
    """The identity-key form of a written name (see the module docstring)."""
    if "," in text:
        last, _, rest = text.partition(",")
        rest_words = [w for w in rest.split() if fold(w) not in SUFFIXES]
        if rest_words:
            text = " ".join(rest_words) + " " + last
    words = [fold(w) for w in text.split()]
    words = [w for w in words if w and w not in TITLES and w not in SUFFIXES]
    if len(words) > 2:
        words = [words[0], words[-1]]
    return " ".join(words)


def mask_name(key: str) -> str:
    return " ".join(w[0].upper() + "*" * (len(w) - 1) for w in key.split())

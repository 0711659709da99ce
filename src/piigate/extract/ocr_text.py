"""OCR noise, undone before the validators see text read from an image.

An OCR engine reads a ``0`` as ``O`` or ``o``, a ``1`` as ``l``, ``I`` or ``|``, a ``5`` as
``S`` and an ``8`` as ``B``, and a dash or slash between digits as a dot, a comma, a tilde or
a long dash, often with spaces around it. Only in digit context, and only in text read from
an image (typed text never comes through here, so its precision is untouched):

- a word holding at least one digit whose other characters are all such look-alikes has
  them read as digits (``l23-4S-67B9`` → ``123-45-6789``; ``SSN`` or ``Bldg`` are left alone);
- digit groups shaped like an SSN (3-2-4) joined by OCR's separators are joined by dashes;
- spaces around a dash or slash between digits are dropped (``03 / 04 /1970``).

Unicode look-alikes in general are the canonical-text layer's business, not this module's.
"""

from __future__ import annotations

import re

_LOOKALIKE_DIGITS = str.maketrans("OolI|SB", "0011158")
_LOOKALIKES = frozenset("OolI|SB")
_WORD = re.compile(r"[0-9A-Za-z|]+")
_SEPARATOR = r"[ \t]?[-\u2010-\u2015\u2212~._][ \t]?|[,:;]| "
_SSN_GROUPS = re.compile(
    rf"(?<![\w\-.])(\d{{3}})(?:{_SEPARATOR})(\d{{2}})(?:{_SEPARATOR})(\d{{4}})(?![\w\-]|\.\d)"
)
_SPACED_JOIN = re.compile(r"(?<=\d) *([-/]) *(?=\d)")


def corrected(text: str) -> str:
    """``text`` as read by OCR, with its digit look-alikes and separators made plain."""
    if not any(c.isdigit() for c in text):
        return text
    text = _WORD.sub(_digits_in_word, text)
    text = _SSN_GROUPS.sub(_dashed, text)
    return _SPACED_JOIN.sub(r"\1", text)


def _digits_in_word(match: re.Match[str]) -> str:
    word = match.group()
    if word.isdigit() or not any(c.isdigit() for c in word):
        return word
    if all(c.isdigit() or c in _LOOKALIKES for c in word):
        return word.translate(_LOOKALIKE_DIGITS)
    return word


def _dashed(match: re.Match[str]) -> str:
    return "-".join(match.groups())

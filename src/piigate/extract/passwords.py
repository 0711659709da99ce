"""Candidate passwords: what a sender who put the password in the same message wrote.

Ranked: the token after a password word (``password``, ``passcode``, ``pw``, ``pwd``, ``key``
…, after an optional ``is`` or ``:``), then quoted strings, then short unusual tokens (mixed
letters, digits and symbols). Each token is tried as written and with quotes and trailing
punctuation stripped, since passwords themselves contain symbols such as ``&#!@``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

_WORDS = r"password|passwort|passcode|passphrase|passwd|pwd|pw|pin|pass|key"
_AFTER_WORD = re.compile(rf"(?i)\b(?:{_WORDS})\b(?:\s+is\b)?\s*[:=]?\s*(\S+)(?:\s+(\S+))?")
_AFTER_IS = re.compile(rf"(?i)\b(?:{_WORDS})\b[^\n.]{{0,40}}?\b(?:is|are)\b\s*:?\s*(\S+)")
_QUOTE_PAIRS = ('"', '"'), ("'", "'"), ("\u201c", "\u201d"), ("\u2018", "\u2019"), ("`", "`")
_QUOTED = re.compile("|".join(f"{a}([^{b}\\n]{{3,64}}){b}" for a, b in _QUOTE_PAIRS))
_TOKEN = re.compile(r"\S{6,40}")
_QUOTES = "\"'`\u201c\u201d\u2018\u2019\u00ab\u00bb"
_TRAILING = ".,;:!?)]}>"
_FILLER = frozenset({"is", "are", "was", ":", "=", "-", "for", "the", "to", "will", "be"})


def candidates(texts: Iterable[str], limit: int) -> tuple[str, ...]:
    """At most ``limit`` distinct candidates, best first."""
    texts = [t for t in texts if t]
    found: dict[str, None] = {}
    for source in (_after_words, _quoted, _unusual):
        for text in texts:
            for token in source(text):
                for variant in filter(None, _variants(token)):
                    found.setdefault(variant)
                    if len(found) >= limit:
                        return tuple(found)
    return tuple(found)


def _after_words(text: str) -> Iterator[str]:
    for match in _AFTER_WORD.finditer(text):
        first, second = match.group(1), match.group(2)
        yield first
        if second and first.lower().strip(_QUOTES + _TRAILING) in _FILLER:
            yield second
    for match in _AFTER_IS.finditer(text):
        yield match.group(1)


def _quoted(text: str) -> Iterator[str]:
    for match in _QUOTED.finditer(text):
        yield next(group for group in match.groups() if group)


def _unusual(text: str) -> Iterator[str]:
    for match in _TOKEN.finditer(text):
        token = match.group()
        classes = (
            any(c.islower() for c in token),
            any(c.isupper() for c in token),
            any(c.isdigit() for c in token),
            any(not c.isalnum() for c in token),
        )
        if sum(classes) >= 3 and "://" not in token:
            yield token


def _variants(token: str) -> Iterator[str]:
    """As written; without quotes and trailing ``.,;:``; without any trailing punctuation."""
    if token.lower() in _FILLER:
        return
    yield token
    yield token.strip(_QUOTES).rstrip(".,;:").strip(_QUOTES)
    core = token
    while (stripped := core.strip(_QUOTES).rstrip(_TRAILING)) != core:
        core = stripped
    yield core

"""Person names: a lexicon of US first and last names, spaCy NER as a second opinion, and
the one normalisation that makes the same person's name one key everywhere.

The lexicon is the US Census 1990 frequency lists shipped in the pinned ``names`` package
(1,219 male and 4,275 female first names, 88,799 surnames). A name in text is a run of
capitalised words (Title Case or ALL CAPS) that is ``First [Middle|M.] Last`` or
``Last, First [M.]`` with the first name in the first-name list and the last name in the
surname list, or anything capitalised after a "Name:" label. Lists and table columns of names
are found this way without a model.

Normalisation (the ``<normalised name>`` of an identity key): "Last, First" is turned round;
each word is folded to ASCII lower case with apostrophes and dots removed (``O'Brien`` →
``obrien``; hyphens are kept); courtesy titles (Mr, Mrs, Ms, Dr…), suffixes (Jr, Sr, II, III,
IV, MD, PhD, Esq) and middle names and initials are dropped; what remains is
``first last`` (or the one word there is). So "John Q. Smith", "SMITH, JOHN" and "Mr John
Smith Jr." are all ``john smith``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from spacy.lang.en.stop_words import STOP_WORDS

from piigate.detect.name_keys import TITLES, fold, mask_name, normalize_name

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["NameLexicon", "NameMention", "NerNames", "fold", "mask_name", "normalize_name"]

_TOKEN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'\u2019\-]*\.?")
_CAP_WORD = re.compile(
    r"[A-ZÀ-ÖØ-Þ](?:[a-zß-öø-ÿ]+(?:['\u2019\-][A-Za-zÀ-ÖØ-öø-ÿ]+)*|[A-Z]*[a-z][a-zA-Z]*)"
    r"|[A-ZÀ-ÖØ-Þ]{2,}(?:['\u2019\-][A-ZÀ-ÖØ-Þ]+)*|[A-Z]\."
)
_LABEL = re.compile(
    r"\b(?:(?:full|legal|employee|applicant|subject|patient|client|customer|member|beneficiary)"
    r"\s+)?name\s*[:\-]\s*"
    r"(?P<value>(?-i:[A-Z][A-Za-z'\u2019.\-]*(?:,?[ ]+[A-Z][A-Za-z'\u2019.\-]*){1,3}))",
    re.I,
)


# A capitalised pair that is the subject of a sentence about a person ("Ifeoma Oyelaran is
# a…", "Ngozi Mbeki (citizenship: …)"): a name even when the lexicon does not know it.
_SUBJECT = re.compile(
    r"(?:^|(?<=[.;:!?(]\s)|(?<=- ))[ \t]*"
    r"(?P<value>[A-Z][a-z]+(?:[ \t]+[A-Z]\.)?[ \t]+[A-Z][a-z]+(?:-[A-Z][a-z]+)?)"
    r"(?=[ \t]+(?:is|was|has|had|gave|showed)\b|[ \t]*\()",
    re.M,
)


@dataclass(frozen=True, slots=True)
class NameMention:
    start: int
    end: int
    key: str
    source: str


class NameLexicon:
    """First and last names from the Census lists, loaded once."""

    def __init__(self) -> None:
        self.first = frozenset(_read_list("dist.male.first") | _read_list("dist.female.first"))
        self.last = frozenset(_read_list("dist.all.last"))

    def is_first(self, word: str) -> bool:
        return _lookup(word) in self.first

    def is_last(self, word: str) -> bool:
        if word.endswith(("'s", "\u2019s")):
            return False  # a possessive ("Mother's") is not a surname
        key = _lookup(word)
        return key in self.last or (
            "-" in word and all(_lookup(part) in self.last for part in word.split("-") if part)
        )

    def looks_like_name(self, cell: str) -> bool:
        """A table cell that is a person's name by the lexicon (either order)."""
        if "," in cell:
            last, _, rest = cell.partition(",")
            words = rest.split()
            return bool(words) and self.is_first(words[0]) and self.is_last(last.strip())
        words = [w for w in cell.split() if fold(w) not in TITLES]
        return len(words) >= 2 and self.is_first(words[0]) and self.is_last(words[-1])

    def find(self, text: str, start: int = 0, end: int | None = None) -> Iterator[NameMention]:
        """Names in ``text[start:end]``, with offsets into ``text``."""
        end = len(text) if end is None else end
        seen: list[tuple[int, int]] = []
        for m in _LABEL.finditer(text, start, end):
            value = _cut_at_label(m.group("value"))
            key = normalize_name(value)
            if key:
                seen.append((m.start("value"), m.start("value") + len(value)))
                yield NameMention(seen[-1][0], seen[-1][1], key, "PersonNameLexicon")
        for m in _SUBJECT.finditer(text, start, end):
            value = m.group("value")
            first = value.split()[0]
            if fold(first) in _NOT_NAME_WORDS or first.lower() in STOP_WORDS:
                continue
            span = (m.start("value"), m.end("value"))
            if not any(a <= span[0] < b for a, b in seen):
                seen.append(span)
                yield NameMention(span[0], span[1], normalize_name(value), "PersonNameLexicon")
        words = list(_CAP_WORD.finditer(text, start, end))
        index = 0
        while index < len(words):
            found = self._name_at(text, words, index)
            if found is None:
                index += 1
                continue
            first, last, key = found
            span = (words[first].start(), words[last].end())
            if not any(a <= span[0] < b for a, b in seen):
                yield NameMention(span[0], span[1], key, "PersonNameLexicon")
            index = last + 1

    def _name_at(
        self, text: str, words: Sequence[re.Match[str]], i: int
    ) -> tuple[int, int, str] | None:
        def joined(a: int, b: int, sep: str = r"[ \t]+") -> bool:
            return (
                b < len(words)
                and re.fullmatch(sep, text[words[a].end() : words[b].start()]) is not None
            )

        w = [m.group() for m in words]
        if w[i].endswith("."):
            return None
        # Last, First [M.] (one of the two in the lexicon, the other a plain capitalised word)
        if joined(i, i + 1, r",[ \t]*") and self._known_pair(w[i + 1], w[i]):
            last = i + 2 if joined(i + 1, i + 2) and len(w[i + 2].rstrip(".")) == 1 else i + 1
            return i, last, normalize_name(f"{w[i]}, {w[i + 1]}")
        if not self.is_first(w[i]):
            if joined(i, i + 1) and self._known_pair(w[i], w[i + 1]) and self.is_last(w[i + 1]):
                return i, i + 1, normalize_name(f"{w[i]} {w[i + 1]}")
            return None
        # First Middle|M. Last
        if joined(i, i + 1) and joined(i + 1, i + 2) and self.is_last(w[i + 2]):
            middle = w[i + 1]
            if len(middle.rstrip(".")) == 1 or self.is_first(middle):
                return i, i + 2, normalize_name(f"{w[i]} {w[i + 2]}")
        if joined(i, i + 1) and self._known_pair(w[i], w[i + 1]) and _same_case(w[i], w[i + 1]):
            return i, i + 1, normalize_name(f"{w[i]} {w[i + 1]}")
        return None

    def _known_pair(self, first: str, last: str) -> bool:
        """First and last name, both in the lexicon, or one in it and the other a plain
        capitalised word (not a common English word, not a label)."""
        known_first, known_last = self.is_first(first), self.is_last(last)
        if known_first and known_last:
            return True
        if not (known_first or known_last) or not _plain(first) or not _plain(last):
            return False
        other = last if known_first else first
        return other.lower() not in STOP_WORDS and fold(other) not in _NOT_NAME_WORDS


_NOT_NAME_WORDS = frozenset(
    {"dob", "ssn", "date", "born", "birth", "phone", "email", "address", "age", "id", "tel"}
    | {"dl", "passport", "and", "of", "the", "status", "citizenship", "mother", "mothers"}
)


def _cut_at_label(value: str) -> str:
    """``John Smith DOB`` → ``John Smith``: a name label's value ends at the next label."""
    kept = []
    for word in value.split():
        if fold(word) in _NOT_NAME_WORDS:
            break
        kept.append(word)
    return " ".join(kept).strip(" ,")


def _plain(word: str) -> bool:
    return len(word) > 2 and word[0].isupper() and word[1:].islower()


def _same_case(a: str, b: str) -> bool:
    return a.isupper() == b.isupper() or len(a) == 1 or len(b) == 1


def _lookup(word: str) -> str:
    return "".join(ch for ch in word.upper() if "A" <= ch <= "Z")


def _read_list(name: str) -> set[str]:
    text = resources.files("names").joinpath(name).read_text(encoding="ascii")
    return {line.split(None, 1)[0] for line in text.splitlines() if line.strip()}


class NerNames:
    """PERSON entities from a spaCy pipeline, run only on the windows the engine asks for.

    The pipeline is loaded by ``load()`` (the gate calls it at start-up, so no message waits
    for it) or else by the first window it is asked about: a short-lived ``piigate scan`` of
    mail with no paired element (a DOB, an SSN's last four…) never needs a name, and does not
    pay the second it takes to load. Either way the same pipeline reads the same windows."""

    def __init__(self, load: Callable[[], Language | None]) -> None:
        self._load = load
        self._nlp: Language | None = None
        self._loaded = False
        self._lock = threading.Lock()

    def load(self) -> Language | None:
        """The pipeline, loaded on the first call (None: it could not be loaded)."""
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._nlp = self._load()
                    self._loaded = True
        return self._nlp

    @property
    def loaded(self) -> bool:
        return self._loaded

    def find(self, windows: Sequence[tuple[int, str]]) -> Iterable[NameMention]:
        """Each window is (offset of its text in the document, text)."""
        nlp = self.load()
        if nlp is None:
            return
        texts = (text for _, text in windows)
        for (offset, _), doc in zip(windows, nlp.pipe(texts, batch_size=32), strict=True):
            for ent in doc.ents:
                if ent.label_ != "PERSON" or any(ch.isdigit() for ch in ent.text):
                    continue
                words = _TOKEN.findall(ent.text)
                if not words or not any(w[0].isupper() for w in words):
                    continue
                key = normalize_name(_cut_at_label(ent.text.split("\n")[0].strip(" -,;:")))
                if key:
                    yield NameMention(
                        offset + ent.start_char, offset + ent.end_char, key, "SpacyNerRecognizer"
                    )

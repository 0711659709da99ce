"""A tokenizer-only NLP engine for Presidio.

Presidio runs its NLP engine over every text it analyses; a full spaCy pipeline there would
run NER over whole bodies (slow, and needless for pattern recognizers). This engine gives
Presidio what its context enhancer needs (tokens and lower-cased words as lemmas) from
spaCy's rule-based tokenizer alone, so the rule-based recognizers never depend on a model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import spacy
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
from spacy.language import Language


class TokenizerNlpEngine(NlpEngine):
    def __init__(self, language: str = "en") -> None:
        self.language = language
        self._nlp = spacy.blank(language)

    def load(self) -> None:
        """Nothing to load: the tokenizer is built in ``__init__``."""

    def is_loaded(self) -> bool:
        return True

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        doc = self._nlp.make_doc(text)
        return NlpArtifacts(
            entities=[],
            tokens=doc,
            tokens_indices=[token.idx for token in doc],
            lemmas=[token.lower_ for token in doc],
            nlp_engine=self,
            language=language,
        )

    def process_batch(
        self,
        texts: Iterable[str] | Iterable[tuple[str, object]],
        language: str,
        batch_size: int = 1,
        n_process: int = 1,
        as_tuples: bool = False,
        **_: Any,
    ) -> Iterator[Any]:
        for item in texts:
            text = item[0] if as_tuples and isinstance(item, tuple) else item
            yield str(text), self.process_text(str(text), language)

    def is_stopword(self, word: str, language: str) -> bool:
        return bool(self._nlp.vocab[word].is_stop)

    def is_punct(self, word: str, language: str) -> bool:
        return bool(self._nlp.vocab[word].is_punct)

    def get_supported_entities(self) -> list[str]:
        return []

    def get_supported_languages(self) -> list[str]:
        return [self.language]


def load_ner(model: str | None) -> Language | None:
    """Load the named spaCy pipeline for person names, or None when it is not configured or
    not installed (the rule-based recognizers work without it)."""
    if model is None:
        return None
    try:
        return spacy.load(model, exclude=["parser", "lemmatizer"])
    except OSError:
        return None

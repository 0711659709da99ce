"""Presidio's NLP engine slot, filled without a model or a tokenizer, and the NER loader.

Presidio runs its NLP engine over every text it analyses and then lifts scores with context
words it finds among the tokens. piigate's recognizers read their context words from the raw
text themselves (``detect.recognizer``), so the engine here hands Presidio empty artifacts:
analysing a message costs the patterns and nothing else, and the rule-based recognizers never
depend on a model. The spaCy pipeline (``load_ner``) is used only for person names, on the
small windows where a name could complete a pair.

The empty artifacts' tokens are one empty ``Doc`` over a bare vocabulary, made once:
``spacy.blank(language)`` (the language's data and spaCy's registry of components) cost a
short command such as ``piigate scan`` about 0.1 s of CPU, for a tokenizer that is never
run. It is built only if Presidio asks whether a word is a stop word or punctuation.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import spacy
from presidio_analyzer import RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab


class RawTextNlpEngine(NlpEngine):
    def __init__(self, language: str = "en") -> None:
        self.language = language
        self._no_tokens = Doc(Vocab())

    @functools.cached_property
    def _nlp(self) -> Language:
        return spacy.blank(self.language)

    def load(self) -> None:
        """Nothing to load."""

    def is_loaded(self) -> bool:
        return True

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        return NlpArtifacts(
            entities=[],
            tokens=self._no_tokens,
            tokens_indices=[],
            lemmas=[],
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


class NoContextEnhancer(ContextAwareEnhancer):
    """Context is the recognizers' own business (on raw text); leave scores as they are."""

    def __init__(self) -> None:
        super().__init__(
            context_similarity_factor=0,
            min_score_with_context_similarity=0,
            context_prefix_count=0,
            context_suffix_count=0,
        )

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[Any],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        return raw_results


def ner_available(model: str) -> bool:
    """Whether ``load_ner`` can find the pipeline ``model`` (an installed package or a
    folder), told without loading it."""
    return bool(spacy.util.is_package(model)) or Path(model).is_dir()


def load_ner(model: str | None) -> Language | None:
    """Load the named spaCy pipeline for person names (tokenizer, tok2vec and NER only), or
    None when it is not configured or not installed."""
    if model is None:
        return None
    try:
        nlp = spacy.load(model, exclude=["parser", "lemmatizer", "senter"])
    except OSError:
        return None
    keep = {"tok2vec", "ner"}
    disabled = [name for name in nlp.pipe_names if name not in keep]
    if disabled:
        nlp.select_pipes(disable=disabled)
    return nlp

"""Preprocessing transformer: raw messages -> (lemmas, normalized text) via spaCy.

It is stateless (nothing is learned in ``fit``), so it can run once before a hyperparameter
search. It keeps only the pipeline's *name*; the spaCy ``Language`` is fetched from the
process-wide cache in `intent.nlp`, so pickling the model never pickles spaCy.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any, cast

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from spacy.lang.es.stop_words import STOP_WORDS
from spacy.lookups import Table
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

from intent.config import DEFAULT_SPACY_MODEL, KEEP_WORDS
from intent.nlp import get_nlp, lookup_table
from intent.normalize import fold_accents, is_placeholder, normalize

#: Column order of `SpacyPreprocessor.transform` output.
LEMMAS, TEXT = 0, 1

# Tokens repeat a lot across messages: folding each distinct one once saves most of the cost.
_fold = lru_cache(maxsize=200_000)(fold_accents)

_STOP_WORDS = frozenset(fold_accents(w) for w in STOP_WORDS) - KEEP_WORDS
# Punctuation that carries intent ("¿y tú quién eres?", "¡NO!") is kept as a token.
_KEPT_PUNCT = frozenset({"?", "!"})


def check_texts(texts: Iterable[Any]) -> list[str]:
    """Materialize ``texts`` as a list of strings; a non-string raises TypeError with its position."""
    if isinstance(texts, str):
        raise TypeError("expected an iterable of strings, got a single string")
    out = list(texts)
    for i, text in enumerate(out):
        if not isinstance(text, str):
            raise TypeError(f"message at position {i} is {type(text).__name__}, expected str")
    return out


class SpacyPreprocessor(TransformerMixin, BaseEstimator):
    """Turn messages into lemma strings (for word n-grams) and normalized text (for char n-grams).

    Parameters
    ----------
    spacy_model:
        ``"blank:es"`` (lookup lemmas, the default) or an installed ``es_core_news_*`` package.
    drop_stopwords:
        Drop Spanish stop words, except those that carry intent (negations, pronouns,
        interrogatives: see `intent.config.KEEP_WORDS`).
    batch_size:
        Batch size for ``nlp.pipe``.
    """

    def __init__(
        self,
        spacy_model: str = DEFAULT_SPACY_MODEL,
        drop_stopwords: bool = True,
        batch_size: int = 256,
    ) -> None:
        self.spacy_model = spacy_model
        self.drop_stopwords = drop_stopwords
        self.batch_size = batch_size

    def fit(self, X: Iterable[str], y: Any = None) -> SpacyPreprocessor:
        """Check the pipeline can be built; nothing is learned."""
        get_nlp(self.spacy_model)
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def transform(self, X: Iterable[str]) -> np.ndarray:
        """Return an object array of shape (n, 2): lemmas, normalized text."""
        texts = [normalize(t) for t in check_texts(X)]
        out = np.empty((len(texts), 2), dtype=object)
        nlp = get_nlp(self.spacy_model)
        table = lookup_table(nlp)
        # Lookup pipelines: tokenize, then look lemmas up directly (same lemmas, much faster).
        docs = (
            cast(Tokenizer, nlp.tokenizer).pipe(texts, batch_size=self.batch_size)
            if table is not None
            else nlp.pipe(texts, batch_size=self.batch_size)
        )
        for i, doc in enumerate(docs):
            out[i, LEMMAS] = " ".join(self._lemmas(doc, table))
            out[i, TEXT] = fold_accents(texts[i])
        return out

    def _lemmas(self, doc: Doc, table: Table | None) -> list[str]:
        lemmas = []
        drop = self.drop_stopwords
        for token in doc:
            if token.is_space or (token.is_punct and token.text not in _KEPT_PUNCT):
                continue
            text = token.text
            if is_placeholder(text):
                lemmas.append(text)
                continue
            if drop and _fold(text) in _STOP_WORDS:
                continue
            lemma = table.get(token.orth, text) if table is not None else (token.lemma_ or text).lower()
            lemmas.append(_fold(lemma))
        return lemmas

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(["lemmas", "text"], dtype=object)

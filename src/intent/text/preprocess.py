"""Preprocessing transformer: raw messages -> (lemmas, normalized text) via spaCy.

It is stateless (nothing is learned in ``fit``), so it can run once before a hyperparameter
search. It keeps only the pipeline's *name*; the spaCy ``Language`` is fetched from the
process-wide cache in `intent.text.nlp`, so pickling the model never pickles spaCy.
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
from intent.text.nlp import get_nlp, lookup_table
from intent.text.normalize import fold_accents, is_placeholder, normalize

#: Column order of `SpacyPreprocessor.transform` output.
LEMMAS, TEXT, STRUCTURE = 0, 1, 2

# Tokens repeat a lot across messages: folding each distinct one once saves most of the cost.
_fold = lru_cache(maxsize=200_000)(fold_accents)

_FUNCTION_WORDS = frozenset(fold_accents(w) for w in STOP_WORDS) | KEEP_WORDS
_STOP_WORDS = _FUNCTION_WORDS - KEEP_WORDS
# Punctuation that carries intent ("¿y tú quién eres?", "¡NO!") is kept as a token.
_KEPT_PUNCT = frozenset({"?", "!"})
# Where a sentence ends, for the position of the ask (a line break ends one too).
_SENTENCE_END = frozenset({".", "!", "?", "…", "..."})
# Negation cues, and what ends their scope: punctuation, or a contrast ("no X, pero Y").
_NEGATIONS = frozenset({"no", "ni", "nunca", "jamas", "tampoco", "sin", "nadie", "ninguno", "ninguna", "not", "never"})
_SCOPE_END_WORDS = frozenset({"pero", "sino", "aunque", "but"})
#: Prefixes of the structure tokens: first sentence, closing sentences, a one-sentence message, negated.
BEGIN, END, SINGLE, NEGATED = "b_", "e_", "s_", "n_"


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
    """Turn messages into lemma strings (for word n-grams), normalized text (for char n-grams)
    and structure tokens: where each lemma sits and whether a negation covers it.

    Words alone mislead where intent hides in structure: a warm opener whose offer arrives in
    the closing sentence, or a refusal that names what it refuses ("no necesitamos otro CRM").
    So each lemma of the first sentence is also emitted as ``b_<lemma>``, of the last two as
    ``e_<lemma>`` (``s_`` for a one-sentence message), and inside a negation's scope (up to
    punctuation or "pero") as ``n_<lemma>``.

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
        """Return an object array of shape (n, 3): lemmas, normalized text, structure tokens."""
        texts = [normalize(t) for t in check_texts(X)]
        out = np.empty((len(texts), 3), dtype=object)
        nlp = get_nlp(self.spacy_model)
        table = lookup_table(nlp)
        # Lookup pipelines: tokenize, then look lemmas up directly (same lemmas, much faster).
        docs = (
            cast(Tokenizer, nlp.tokenizer).pipe(texts, batch_size=self.batch_size)
            if table is not None
            else nlp.pipe(texts, batch_size=self.batch_size)
        )
        for i, doc in enumerate(docs):
            lemmas, sentences, negated = self._lemmas(doc, table)
            out[i, LEMMAS] = " ".join(lemmas)
            out[i, TEXT] = fold_accents(texts[i])
            out[i, STRUCTURE] = " ".join(_structure(lemmas, sentences, negated))
        return out

    def _lemmas(self, doc: Doc, table: Table | None) -> tuple[list[str], list[int], list[bool]]:
        """Kept lemmas, with the sentence each sits in and whether a negation covers it."""
        lemmas: list[str] = []
        sentences: list[int] = []
        negated: list[bool] = []
        drop = self.drop_stopwords
        sentence, in_scope, pending = 0, False, False
        for token in doc:
            text = token.text
            ends = text in _SENTENCE_END or (token.is_space and "\n" in text)
            if token.is_space or token.is_punct:
                if not token.is_space:
                    in_scope = False
                if token.is_space or text not in _KEPT_PUNCT:
                    pending = pending or (ends and bool(lemmas))
                    continue
            if pending:
                sentence += 1
                pending = False
            if is_placeholder(text):
                lemma = text
            else:
                folded = _fold(text)
                if folded in _SCOPE_END_WORDS:
                    in_scope = False
                if drop and folded in _STOP_WORDS:
                    in_scope = in_scope or folded in _NEGATIONS
                    continue
                if folded in _FUNCTION_WORDS:
                    lemma = folded  # the lookup table's lemmas of function words are noise ("para" -> "parir")
                else:
                    lemma = _fold(table.get(token.orth, text) if table is not None else (token.lemma_ or text).lower())
            lemmas.append(lemma)
            sentences.append(sentence)
            negated.append(in_scope and not is_placeholder(lemma) and lemma not in _KEPT_PUNCT)
            if lemma in _NEGATIONS:
                in_scope = True
            pending = ends
        return lemmas, sentences, negated

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(["lemmas", "text"], dtype=object)


def _structure(lemmas: list[str], sentences: list[int], negated: list[bool]) -> list[str]:
    """Position and negation tokens (see `SpacyPreprocessor`); "?" and "!" keep their position too."""
    if not lemmas:
        return []
    last = sentences[-1]
    out = []
    for lemma, sentence, neg in zip(lemmas, sentences, negated, strict=True):
        if last == 0:
            out.append(SINGLE + lemma)
        elif sentence == 0:
            out.append(BEGIN + lemma)
        elif sentence >= last - 1 and (last >= 2 or sentence == last):
            out.append(END + lemma)
        if neg:
            out.append(NEGATED + lemma)
    return out

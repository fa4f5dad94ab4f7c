"""Features: TF-IDF over lemma n-grams, over character n-grams of the normalized text, and
(optionally) over structure tokens.

Lemma n-grams carry what is asked ("agendar llamada", "no interesar"); character n-grams
survive typos, missing accents, voseo endings and Spanglish that no lemma table knows;
structure tokens say where the ask sits and what a negation covers (see `SpacyPreprocessor`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from intent.text.preprocess import LEMMAS, STRUCTURE, TEXT


class TextFeatures(TransformerMixin, BaseEstimator):
    """The TF-IDF branches side by side, reading the columns `SpacyPreprocessor` emits.

    A ColumnTransformer would do the same; this small class does it with a fraction of the
    per-call overhead, which is most of the latency of classifying a single message.

    Parameters
    ----------
    word_ngram_range: n-gram range over lemmas.
    char_ngram_range: n-gram range over characters (within word boundaries).
    min_df: minimum document frequency of a feature.
    max_features: cap per branch on the vocabulary size (keeps the model file small).
    structure: add the structure branch (position of each lemma, negation scope).
    weights: how much each branch (words, chars, structure) counts: its TF-IDF rows are scaled by it,
        which for a linear model is a per-branch regularization.
    """

    def __init__(
        self,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (2, 5),
        min_df: int = 1,
        max_features: int | None = 200_000,
        structure: bool = False,
        weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.structure = structure
        self.weights = weights

    def fit(self, X: np.ndarray, y: Any = None) -> TextFeatures:
        self.words_ = TfidfVectorizer(
            analyzer="word",
            token_pattern=r"[^ ]+",  # the preprocessor already tokenized and joined with spaces
            lowercase=False,
            ngram_range=self.word_ngram_range,
            min_df=self.min_df,
            sublinear_tf=True,
            max_features=self.max_features,
            dtype=np.float32,
        ).fit(X[:, LEMMAS])
        self.chars_ = TfidfVectorizer(
            analyzer="char_wb",
            lowercase=False,
            ngram_range=self.char_ngram_range,
            min_df=self.min_df,
            sublinear_tf=True,
            max_features=self.max_features,
            dtype=np.float32,
        ).fit(X[:, TEXT])
        self.structure_ = (
            TfidfVectorizer(
                analyzer="word",
                token_pattern=r"[^ ]+",
                lowercase=False,
                min_df=2,
                sublinear_tf=True,
                max_features=self.max_features,
                dtype=np.float32,
            ).fit(X[:, STRUCTURE])
            if self.structure
            else None
        )
        return self

    def transform(self, X: np.ndarray) -> sp.csr_matrix:
        blocks = [self.words_.transform(X[:, LEMMAS]), self.chars_.transform(X[:, TEXT])]
        if self.structure_ is not None:
            blocks.append(self.structure_.transform(X[:, STRUCTURE]))
        if any(w != 1.0 for w in self.weights):
            blocks = [b * w if w != 1.0 else b for b, w in zip(blocks, self.weights, strict=False)]
        return sp.hstack(blocks, format="csr")

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names prefixed ``words__``, ``chars__`` or ``struct__``, in column order."""
        names = [f"words__{n}" for n in self.words_.get_feature_names_out()]
        names += [f"chars__{n}" for n in self.chars_.get_feature_names_out()]
        if self.structure_ is not None:
            names += [f"struct__{n}" for n in self.structure_.get_feature_names_out()]
        return np.array(names, dtype=object)

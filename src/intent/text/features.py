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

from intent.estimator import Transformer
from intent.text.ngrams import TfidfTable, unpack_strings
from intent.text.preprocess import LEMMAS, STRUCTURE, TEXT

#: The branches in column order: name, the preprocessor's column it reads.
BRANCHES: tuple[tuple[str, int], ...] = (("words", LEMMAS), ("chars", TEXT), ("struct", STRUCTURE))


class TextFeatures(Transformer):
    """The TF-IDF branches side by side, reading the columns `SpacyPreprocessor` emits.

    ``fit`` learns each branch's vocabulary and idf with scikit-learn's `TfidfVectorizer`;
    ``transform`` computes the same rows from those arrays over the whole batch at once
    (`intent.text.ngrams`), several times faster than the vectorizer's Python loop per n-gram.

    Parameters
    ----------
    word_ngram_range: n-gram range over lemmas.
    char_ngram_range: n-gram range over characters (within word boundaries).
    min_df: minimum document frequency of a feature. 2 by default: a lemma pair or character
        n-gram seen in one message only is mostly noise, and dropping them halves the vocabulary
        (so the model's size and memory) with no loss in cross-validation.
    max_features: cap per branch on the vocabulary size (keeps the model file small).
    structure: add the structure branch (position of each lemma, negation scope).
    weights: how much each branch (words, chars, structure) counts: its TF-IDF rows are scaled by it,
        which for a linear model is a per-branch regularization.

    Attributes
    ----------
    tables_: the fitted branches, by name ("words", "chars", and "struct" with ``structure``).
    names_: each branch's feature names in column order (for explanations); a loaded model keeps
        them as one UTF-8 byte array until an explanation asks (`feature_names`).
    """

    def __init__(
        self,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (2, 5),
        min_df: int = 2,
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
        from sklearn.feature_extraction.text import TfidfVectorizer

        common = {"lowercase": False, "sublinear_tf": True, "max_features": self.max_features, "dtype": np.float32}
        vectorizers = {
            "words": TfidfVectorizer(
                analyzer="word",
                token_pattern=r"[^ ]+",  # the preprocessor already tokenized and joined with spaces
                ngram_range=self.word_ngram_range,
                min_df=self.min_df,
                **common,
            ),
            "chars": TfidfVectorizer(
                analyzer="char_wb", ngram_range=self.char_ngram_range, min_df=self.min_df, **common
            ),
        }
        if self.structure:
            vectorizers["struct"] = TfidfVectorizer(analyzer="word", token_pattern=r"[^ ]+", min_df=2, **common)
        self.tables_: dict[str, TfidfTable] = {}
        self.names_: dict[str, list[str] | np.ndarray] = {}
        for name, column in BRANCHES:
            if name in vectorizers:
                vectorizer = vectorizers[name].fit(X[:, column])
                self.tables_[name] = TfidfTable.from_vectorizer(vectorizer)
                self.names_[name] = [str(n) for n in vectorizer.get_feature_names_out()]
        return self

    def transform(self, X: np.ndarray) -> sp.csr_matrix:
        # The branches' entries side by side in one matrix, built once (not three, then stacked):
        # each branch's entries come by row, so each lands at its row's next free place.
        n = len(X)
        parts, per_row = [], []
        offset = 0
        for (name, column), weight in zip(BRANCHES, self.weights, strict=True):
            table = self.tables_.get(name)
            if table is None:
                continue
            rows, columns, values = table.entries(X[:, column])
            parts.append((rows, columns + offset, values * np.float32(weight) if weight != 1.0 else values))
            per_row.append(np.bincount(rows, minlength=n))
            offset += table.n_features
        if n == 1:  # one message (an API call): its entries are the branches' one after another
            indices, data = np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts])
            return sp.csr_matrix((data, indices, np.array([0, len(indices)])), shape=(1, offset))
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.sum(per_row, axis=0), out=indptr[1:])
        indices = np.empty(indptr[-1], dtype=np.int32)
        data = np.empty(indptr[-1], dtype=np.float32)
        free = indptr[:-1].copy()  # within a row: branch after branch
        for (rows, columns, values), counts in zip(parts, per_row, strict=True):
            first = np.cumsum(counts) - counts  # where each row's entries begin in this branch
            places = (free - first)[rows] + np.arange(len(rows))
            indices[places] = columns
            data[places] = values
            free += counts
        return sp.csr_matrix((data, indices, indptr), shape=(n, offset))

    def feature_names(self, branch: str) -> list[str]:
        """One branch's feature names in column order (decoded, once, from a loaded model's bytes)."""
        names = self.names_.get(branch, [])
        if isinstance(names, np.ndarray):
            names = self.names_[branch] = unpack_strings(names)
        return names

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names prefixed ``words__``, ``chars__`` or ``struct__``, in column order."""
        names = [f"{branch}__{n}" for branch, _ in BRANCHES for n in self.feature_names(branch)]
        return np.array(names, dtype=object)

"""Features: TF-IDF over lemma n-grams plus TF-IDF over character n-grams of the normalized text.

Lemma n-grams carry what is asked ("agendar llamada", "no interesar"); character n-grams
survive typos, missing accents, voseo endings and Spanglish that no lemma table knows.
"""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer

from intent.preprocess import LEMMAS, TEXT


def build_features(
    word_ngram_range: tuple[int, int] = (1, 2),
    char_ngram_range: tuple[int, int] = (2, 5),
    min_df: int = 1,
    max_features: int | None = 200_000,
) -> ColumnTransformer:
    """Both TF-IDF branches side by side, reading the two columns `SpacyPreprocessor` emits."""
    words = TfidfVectorizer(
        analyzer="word",
        token_pattern=r"[^ ]+",  # the preprocessor already tokenized and joined with spaces
        lowercase=False,
        ngram_range=word_ngram_range,
        min_df=min_df,
        sublinear_tf=True,
        max_features=max_features,
        dtype=np.float32,
    )
    chars = TfidfVectorizer(
        analyzer="char_wb",
        lowercase=False,
        ngram_range=char_ngram_range,
        min_df=min_df,
        sublinear_tf=True,
        max_features=max_features,
        dtype=np.float32,
    )
    return ColumnTransformer([("words", words, LEMMAS), ("chars", chars, TEXT)])

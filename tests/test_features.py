"""TextFeatures: the branches side by side, each equal to scikit-learn's vectorizer, scaled by its weight."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from intent.text.features import TextFeatures
from intent.text.preprocess import SpacyPreprocessor

TEXTS = [
    "Hola Ana, ¿agendamos una llamada para ver la demo?",
    "No me interesa, gracias. No vuelvas a escribir.",
    "Encantada de conectar, vi tu charla sobre logística y me gustó mucho.",
    "¿Y tú quién eres? No sé por qué querrías conectar conmigo.",
    "Tenemos una oferta por 99 € al mes, solo hoy: responde y te envío el enlace.",
    "Te paso el contacto de Marta, que lleva compras; seguro os entendéis.",
    "hola hola, q tal, te escribo x lo del evento",
    "",
]


def test_rows_are_the_vectorizers_rows_side_by_side_each_scaled_by_its_weight() -> None:
    X = SpacyPreprocessor().transform(TEXTS)
    weights = (0.5, 1.0, 2.0)
    features = TextFeatures(min_df=1, structure=True, weights=weights).fit(X)
    common = {"lowercase": False, "sublinear_tf": True, "dtype": np.float32}
    reference = [
        TfidfVectorizer(analyzer="word", token_pattern=r"[^ ]+", ngram_range=(1, 2), min_df=1, **common).fit(X[:, 0]),  # type: ignore[arg-type]
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=1, **common).fit(X[:, 1]),  # type: ignore[arg-type]
        # structure tokens seen once are always dropped (TextFeatures.fit)
        TfidfVectorizer(analyzer="word", token_pattern=r"[^ ]+", min_df=2, **common).fit(X[:, 2]),  # type: ignore[arg-type]
    ]
    for cut in (1, 3, len(TEXTS)):  # any batch size gives the same rows
        ours = sp.vstack([features.transform(X[i : i + cut]) for i in range(0, len(X), cut)]).tocsr()
        theirs = sp.hstack(
            [w * v.transform(X[:, c]) for c, (v, w) in enumerate(zip(reference, weights, strict=True))]
        ).tocsr()
        assert ours.shape == theirs.shape
        assert abs(ours - theirs).max() < 1e-6
        assert (ours.indptr == theirs.indptr).all()
        # within a row, the words' entries come first, then the characters', then the structure's
        split = np.cumsum([len(v.vocabulary_) for v in reference])
        for row in range(ours.shape[0]):
            branch = np.searchsorted(split, ours.indices[ours.indptr[row] : ours.indptr[row + 1]], side="right")
            assert (np.diff(branch) >= 0).all()

"""The batch n-gram features give exactly scikit-learn's TF-IDF rows, however the batch is cut."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from intent.text import ngrams
from intent.text.ngrams import KeyIndex, TfidfTable, pack_strings, string_keys, unpack_strings

TRAIN = [
    "hola que tal, te escribo por la demo",
    "no me interesa la demo, gracias",
    "encantada de conectar contigo ana",
    "xxurl oferta por xxmoney solo hoy",
    "¿y tú quién eres?",
    "holaa   ñandú  cigüeña",
]
TEXTS = st.text(alphabet="ab ñé¿?\n\t xy", max_size=40)


def vectorizer(**kw: object) -> TfidfVectorizer:
    return TfidfVectorizer(lowercase=False, sublinear_tf=True, dtype=np.float32, **kw).fit(TRAIN)  # type: ignore[arg-type]


CHAR = vectorizer(analyzer="char_wb", ngram_range=(2, 5))
WORD = vectorizer(analyzer="word", token_pattern=r"[^ ]+", ngram_range=(1, 2))


@pytest.mark.parametrize("fitted", [CHAR, WORD], ids=["char_wb", "word"])
def test_rows_equal_scikit_learns_on_known_texts(fitted: TfidfVectorizer) -> None:
    table = TfidfTable.from_vectorizer(fitted)
    docs = [*TRAIN, "", " ", "a", "demo demo demo", "nada de esto está en el vocabulario"]
    if fitted is WORD:  # the preprocessor hands over tokens joined by single spaces
        docs = [" ".join(d.split()) for d in docs]
    ours, theirs = table.transform(docs), fitted.transform(docs)
    assert ours.shape == theirs.shape and ours.nnz == theirs.nnz
    assert abs(ours - theirs).max() < 1e-6
    assert (ours.indptr == theirs.indptr).all()


@given(st.lists(TEXTS, max_size=12), st.integers(min_value=1, max_value=5))
def test_rows_equal_scikit_learns_for_any_text_and_any_cut(docs: list[str], cut: int) -> None:
    for fitted in (CHAR, WORD):
        if fitted is WORD:  # the preprocessor hands over tokens joined by single spaces
            docs = [" ".join(d.split()) for d in docs]
        table = TfidfTable.from_vectorizer(fitted)
        if not docs:
            assert table.transform(docs).shape == (0, table.n_features)
            continue
        ours = sp.vstack([table.transform(docs[i : i + cut]) for i in range(0, len(docs), cut)])
        theirs = fitted.transform(docs)
        assert ours.shape == theirs.shape
        assert abs(ours - theirs).max() < 1e-6 if theirs.nnz else ours.nnz == 0


@pytest.mark.parametrize("limit", [2**32, 0], ids=["32-bit pairs", "64-bit pairs"])
@pytest.mark.parametrize("product_from", [1, 10**9], ids=["product", "gather"])
def test_every_counting_path_gives_scikit_learns_rows(
    monkeypatch: pytest.MonkeyPatch, limit: int, product_from: int
) -> None:
    """Large batches (64-bit packing, the sparse product for char n-grams) count as small ones do."""
    monkeypatch.setattr(ngrams, "PACK32_LIMIT", limit)
    monkeypatch.setattr(ngrams, "PRODUCT_FROM", product_from)
    docs = [" ".join(d.split()) for d in [*TRAIN, "demo demo demo", "", "hola hola que tal"]]
    for fitted in (CHAR, WORD):
        ours, theirs = TfidfTable.from_vectorizer(fitted).transform(docs), fitted.transform(docs)
        assert (ours.indptr == theirs.indptr).all()
        assert abs(ours - theirs).max() < 1e-6


def test_character_one_grams_are_refused() -> None:
    with pytest.raises(ValueError, match="from length 2"):
        TfidfTable.from_vectorizer(vectorizer(analyzer="char_wb", ngram_range=(1, 3)))


def test_key_index_finds_every_key_and_nothing_else() -> None:
    rng = np.random.default_rng(0)
    keys = np.unique(rng.integers(1, 2**63, size=5000, dtype=np.uint64))
    columns = rng.permutation(len(keys)).astype(np.int32)
    index = KeyIndex(keys, columns)
    assert (index.lookup(keys) == columns).all()
    strangers = rng.integers(1, 2**63, size=5000, dtype=np.uint64)
    strangers = strangers[~np.isin(strangers, keys)]
    assert (index.lookup(strangers) == -1).all()
    assert (index.lookup(np.zeros(0, dtype=np.uint64)) == np.zeros(0)).all()


def test_the_same_text_has_the_same_key_anywhere() -> None:
    keys = string_keys(["demo", "la demo", "demo", "ab", "ba", ""])
    assert keys[0] == keys[2] and len(set(keys.tolist())) == 5


def test_strings_pack_and_unpack() -> None:
    names = ["a b", "ñandú", " x", "🙂"]
    assert unpack_strings(pack_strings(names)) == names
    assert unpack_strings(pack_strings([])) == []

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from intent.text.preprocess import LEMMAS, STRUCTURE, TEXT, SpacyPreprocessor, check_texts


@pytest.fixture(scope="module")
def pre() -> SpacyPreprocessor:
    return SpacyPreprocessor().fit([])


def lemmas(pre: SpacyPreprocessor, text: str) -> list[str]:
    return str(pre.transform([text])[0, LEMMAS]).split()


def test_keeps_negations_pronouns_and_interrogatives(pre: SpacyPreprocessor) -> None:
    out = lemmas(pre, "No sé por qué querrías conectar conmigo")
    for word in ("no", "por", "que", "conmigo", "querer", "conectar"):
        assert word in out, (word, out)


def test_drops_plain_stop_words(pre: SpacyPreprocessor) -> None:
    out = lemmas(pre, "El informe de la empresa")
    assert "el" not in out and "de" not in out and "la" not in out


def test_lemmatizes_and_folds_accents(pre: SpacyPreprocessor) -> None:
    assert lemmas(pre, "ofrecemos servicios") == ["ofrecer", "servicio"]
    assert lemmas(pre, "Información") == lemmas(pre, "informacion")


def test_lowercases_before_lookup(pre: SpacyPreprocessor) -> None:
    assert lemmas(pre, "OFRECEMOS") == ["ofrecer"]


def test_placeholders_survive_as_tokens(pre: SpacyPreprocessor) -> None:
    out = lemmas(pre, "Mira https://ejemplo.com/oferta por 99€ 🔥")
    assert {"xxurl", "xxmoney", "xxemoji"} <= set(out)


def test_transform_shape_and_text_column(pre: SpacyPreprocessor) -> None:
    out = pre.transform(["Hola", "¿Y TÚ QUIÉN ERES?"])
    assert out.shape == (2, 4)
    assert out[1, TEXT] == "¿y tu quien eres?"
    assert "?" in str(out[1, LEMMAS]).split()


def test_pickle_does_not_carry_spacy(pre: SpacyPreprocessor) -> None:
    blob = pickle.dumps(pre)
    assert len(blob) < 1000
    assert b"spacy." not in blob and b"Language" not in blob  # only the pipeline's name travels
    clone = pickle.loads(blob)
    assert (clone.transform(["hola"]) == pre.transform(["hola"])).all()


def test_check_texts_names_the_bad_position() -> None:
    with pytest.raises(TypeError, match="position 1"):
        check_texts(["ok", None])
    with pytest.raises(TypeError, match="single string"):
        check_texts("hola")


def test_direct_lookup_gives_the_same_lemmas_as_spacys_lemmatizer(pre: SpacyPreprocessor) -> None:
    """Content words get spaCy's own lemmas; function words keep their form (the table maps para -> parir)."""
    from intent.text.nlp import get_nlp
    from intent.text.normalize import fold_accents, normalize
    from intent.text.preprocess import _FUNCTION_WORDS

    text = "Ofrecemos servicios, querrías conectar? Estuvimos hablando de las reuniones que tuvieron para ti"
    doc = get_nlp("blank:es")(normalize(text))  # the full pipeline: spaCy's Lemmatizer component
    expected = [
        fold_accents(t.text if fold_accents(t.text) in _FUNCTION_WORDS else t.lemma_)
        for t in doc
        if not t.is_punct or t.text in "?!"
    ]
    assert "parir" not in expected and "estar" in expected and "reunion" in expected
    assert SpacyPreprocessor(drop_stopwords=False).transform([text])[0, LEMMAS].split() == expected


def test_a_loaded_pipeline_from_disk_is_used_through_nlp_pipe(tmp_path: Path) -> None:
    """Any installed or saved pipeline (e.g. es_core_news_sm) goes through the full nlp.pipe path."""
    import spacy

    nlp = spacy.blank("es")
    nlp.add_pipe("sentencizer")  # a second component: not a lookup-only pipeline
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    nlp.to_disk(tmp_path / "pipeline")
    pre = SpacyPreprocessor(spacy_model=str(tmp_path / "pipeline"))
    assert str(pre.fit([]).transform(["Ofrecemos servicios"])[0, LEMMAS]).split() == ["ofrecer", "servicio"]


def test_missing_spacy_package_is_a_clear_error() -> None:
    from intent.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match=r"es_core_news_zz.*not installed.*blank:es"):
        SpacyPreprocessor(spacy_model="es_core_news_zz").fit([])


def structure(text: str) -> list[str]:
    return str(SpacyPreprocessor(drop_stopwords=False).transform([text])[0, STRUCTURE]).split()


def test_structure_marks_where_the_ask_sits() -> None:
    out = structure("Me encantó tu artículo. Llevo años en logística.\nPor cierto, ¿agendamos una demo?")
    assert "b_articulo" in out and "e_demo" in out
    assert "b_demo" not in out and "e_articulo" not in out
    assert "e_logistico" in out  # the closing zone is the last two sentences
    out = structure("Me encantó tu artículo. Llevo años en logística. Trabajo en Lima.\n¿Una demo?")
    assert "e_logistico" not in out and "e_demo" in out


def test_structure_of_one_sentence_is_its_own_zone() -> None:
    out = structure("no me interesa la demo")
    assert "s_demo" in out and not any(t.startswith(("b_", "e_")) for t in out)


def test_negation_scope_ends_at_punctuation_and_contrast() -> None:
    out = structure("No necesitamos otro CRM, pero gracias por escribir.")
    assert "n_crm" in out and "n_necesitar" in out
    assert "n_gracia" not in out and "n_escribir" not in out
    assert "n_crm" not in structure("Necesitas un CRM que no falle.")  # the negation comes after


def test_function_words_keep_their_form() -> None:
    assert lemmas(SpacyPreprocessor(drop_stopwords=False), "para ti sobre todo") == ["para", "ti", "sobre", "todo"]


def test_a_saved_models_own_lemmas_give_the_full_tables_features(mini_data: tuple[list[str], list[str]]) -> None:
    """A loaded model tokenizes with spaCy alone and looks lemmas up in the entries it kept; the
    lemmas, texts and structure tokens it produces are the full lookup table's."""
    from intent.model import build_pipeline

    texts, labels = mini_data
    pipeline = build_pipeline(drop_stopwords=False).fit(texts, labels)
    pre, features = pipeline.named_steps["preprocess"], pipeline.named_steps["features"]
    tokens = {t for n in features.feature_names("words") for t in n.split(" ")}
    tokens |= {n[2:] for n in features.feature_names("struct")}
    compact = SpacyPreprocessor(drop_stopwords=False)
    compact.lemmas_ = pre.lemma_subset(tokens)
    assert 0 < len(compact.lemmas_) < 100_000
    unseen = ["Ofrecemos reuniones y estaríamos encantados", "no quisimos interesarnos", *texts]
    full, kept = pre.transform(unseen), compact.transform(unseen)
    assert (features.transform(full) != features.transform(kept)).nnz == 0


def test_token_kinds_are_cached_per_string_and_agree_across_batches() -> None:
    pre = SpacyPreprocessor(drop_stopwords=False)
    one_by_one = [pre.transform([t])[0].tolist() for t in ("no, gracias", "hola holaa", "¿y tú?")]
    together = pre.transform(["no, gracias", "hola holaa", "¿y tú?"]).tolist()
    assert one_by_one == together


# Words that exercise every rule of the token walk: negations (kept, or dropped as stop words),
# words that end a scope, stop words, content words, a placeholder, sentence ends, a line break.
_WALK_WORDS = [
    "no",
    "ni",
    "nunca",
    "sin",
    "tampoco",
    "nadie",
    "pero",
    "sino",
    "aunque",
    "de",
    "la",
    "que",
    "para",
    "ti",
    "tú",
    "quién",
    "demo",
    "reuniones",
    "ofrecemos",
    "interesa",
    "necesitamos",
    "CRM",
    "gracias",
    "www.ejemplo.com",
    ".",
    ",",
    ";",
    "?",
    "!",
    "…",
    "¿",
    "¡",
    "\n",
]


@given(st.lists(st.lists(st.sampled_from(_WALK_WORDS), max_size=14).map(" ".join), min_size=1, max_size=6))
@example(["no , demo", "demo", "", "gracias .", "no", "CRM"])  # a scope or sentence never crosses documents
@example(["nunca pero demo no demo", "de la . demo ? no ¿ CRM ! \n que"])
def test_batch_walk_equals_walking_each_documents_tokens(texts: list[str]) -> None:
    """The lookup path reads a batch's token ids with array operations (or, for a few messages,
    walks them one by one); a trained pipeline's path walks each document's Token objects. Over
    the same lemmas, all three agree."""
    from intent.text import preprocess
    from intent.text.nlp import get_nlp
    from intent.text.normalize import normalize
    from intent.text.preprocess import _structure

    nlp = get_nlp("blank:es")  # with spaCy's lookup Lemmatizer: token.lemma_ is the table's lemma
    for drop, walk_below in ((True, 0), (False, 0), (True, 100), (False, 100)):
        pre = SpacyPreprocessor(drop_stopwords=drop)
        walked = [pre._lemmas_of_tokens(doc) for doc in nlp.pipe(normalize(t) for t in texts)]
        original, preprocess.WALK_BELOW = preprocess.WALK_BELOW, walk_below
        try:
            batch = pre.transform(texts)
        finally:
            preprocess.WALK_BELOW = original
        assert batch[:, LEMMAS].tolist() == [" ".join(lemmas) for lemmas, _, _ in walked]
        assert batch[:, STRUCTURE].tolist() == [" ".join(_structure(*read)) for read in walked]


def test_token_cache_starting_again_changes_no_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past its size limit the cache of token kinds is emptied, mid-batch or between batches."""
    from intent.text.preprocess import _TokenKinds

    texts = ["No, gracias. No necesito un CRM", "¿Agendamos una demo?", "hola ana, qué tal", "demo gratis hoy"]
    expected = SpacyPreprocessor().transform(texts).tolist()
    _TokenKinds._cache.clear()
    monkeypatch.setattr(_TokenKinds, "_LIMIT", 6)
    small = SpacyPreprocessor()
    assert [small.transform([t])[0].tolist() for t in texts] == expected
    assert small.transform(texts).tolist() == expected
    assert small.transform(texts[::-1]).tolist() == expected[::-1]
    _TokenKinds._cache.clear()

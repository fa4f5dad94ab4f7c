from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from intent.config import LABELS, MAX_CHARS, RANDOM_SEED
from intent.model import IntentModel, build_pipeline


def test_predict_single_and_batch(mini_model: IntentModel) -> None:
    assert mini_model.predict("No me interesa, gracias.") in LABELS
    out = mini_model.predict(["hola", "no gracias"])
    assert isinstance(out, list) and len(out) == 2


def test_predict_proba_in_labels_order(mini_model: IntentModel) -> None:
    proba = mini_model.predict_proba(["Oferta exclusiva de curso por 49€", "no gracias"])
    assert proba.shape == (2, 3)
    assert np.allclose(proba.sum(axis=1), 1.0)
    single = mini_model.predict_proba("no gracias")
    assert single.shape == (3,)
    classes = list(mini_model.pipeline.classes_)
    raw = mini_model.pipeline.predict_proba(["no gracias"])[0]
    assert np.allclose(single, [raw[classes.index(label)] for label in LABELS])


def test_empty_message_is_never_guessed(mini_model: IntentModel) -> None:
    with pytest.raises(ValueError, match="empty"):
        mini_model.predict("   ")
    with pytest.raises(ValueError, match="position 1"):
        mini_model.predict(["hola", ""])
    result = mini_model.classify(["hola", " \n"])
    assert result[1].label is None and result[1].status == "empty" and result[1].uncertain
    assert result[0].label in LABELS and result[0].status == "ok"


def test_non_string_raises_type_error_with_position(mini_model: IntentModel) -> None:
    with pytest.raises(TypeError, match="position 2"):
        mini_model.predict(["a", "b", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        mini_model.classify([None])  # type: ignore[list-item]


@pytest.mark.parametrize("text", ["<p></p>", "&nbsp;", "\u200b", "\x00\x01", "<br/>&nbsp;\u200d\n", "&amp;nbsp;"])
def test_text_empty_after_cleaning_is_empty(mini_model: IntentModel, text: str) -> None:
    """Issue 17, item 9: markup, entities, invisible or control characters alone are nothing to classify."""
    result = mini_model.classify(text)
    assert result.label is None and result.status == "empty" and result.uncertain
    with pytest.raises(ValueError, match="empty"):
        mini_model.predict(text)
    with pytest.raises(ValueError, match="position 1"):
        mini_model.predict_proba(["hola", text])
    assert mini_model.classify(f"<p>{text}no gracias</p>").status == "ok"  # content beside them is read


@pytest.mark.parametrize("value", [b"no gracias", bytearray(b"no gracias")])
def test_bytes_are_refused_with_the_fix(mini_model: IntentModel, value: object) -> None:
    with pytest.raises(TypeError, match=r"bytearray|bytes") as caught:
        mini_model.predict(value)  # type: ignore[arg-type]
    assert "decode" in str(caught.value) and "int" not in str(caught.value)
    with pytest.raises(TypeError, match=r"position 1 is bytes.*decode"):
        mini_model.classify(["hola", b"no gracias"])  # type: ignore[list-item]


def test_a_mapping_is_refused_not_its_keys_classified(mini_model: IntentModel) -> None:
    with pytest.raises(TypeError, match="mapping"):
        mini_model.predict({"no gracias": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="mapping"):
        mini_model.classify({"a": "no gracias"})  # type: ignore[call-overload]


def test_a_truncated_foreign_message_reports_both(mini_model: IntentModel) -> None:
    english = "Hi Maria, I came across your profile and would love to connect. We help B2B teams grow. "
    result = mini_model.classify(english * (MAX_CHARS // len(english) + 2))
    assert result.status == "other_language" and result.truncated and result.language == "en"
    short = mini_model.classify(english)
    assert short.status == "other_language" and not short.truncated
    assert mini_model.classify("no me interesa " * (MAX_CHARS // 10)).truncated


def test_classify_fields_and_threshold(mini_model: IntentModel) -> None:
    r = mini_model.classify("Solo conecto con personas que conozco")
    assert r.label == max(r.probabilities, key=r.probabilities.__getitem__)
    assert r.confidence == pytest.approx(max(r.probabilities.values()))
    assert r.uncertain == (r.confidence < mini_model.threshold)


def test_long_message_is_truncated_and_flagged(mini_model: IntentModel) -> None:
    r = mini_model.classify("no me interesa " * (MAX_CHARS // 10))
    assert r.status == "truncated" and r.label in LABELS


def test_same_data_same_model(mini_data: tuple[list[str], list[str]]) -> None:
    texts, labels = mini_data
    a = build_pipeline(C=10.0).fit(texts, labels).predict_proba(texts)
    b = build_pipeline(C=10.0).fit(texts, labels).predict_proba(texts)
    assert np.array_equal(a, b)


def test_svm_classifier_gives_probabilities(mini_data: tuple[list[str], list[str]]) -> None:
    texts, labels = mini_data
    pipe = build_pipeline(classifier="svm", C=0.5).fit(texts, labels)
    assert np.allclose(pipe.predict_proba(texts[:3]).sum(axis=1), 1.0)


def test_rejects_model_with_other_labels(mini_data: tuple[list[str], list[str]]) -> None:
    texts, labels = mini_data
    pipe = build_pipeline().fit(texts, ["a" if y == LABELS[0] else y for y in labels])
    with pytest.raises(ValueError, match="expected"):
        IntentModel(pipe)


# ---- any input: a valid label or a documented error, never a crash -------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conftest import FUZZ  # noqa: E402
from intent.text.normalize import has_content  # noqa: E402


@given(st.text())
def test_any_unicode_gets_a_label_or_the_empty_error(mini_model: IntentModel, text: str) -> None:
    results = mini_model.classify([text])
    assert results[0].status in {"ok", "empty", "truncated", "other_language"}
    assert (results[0].status == "empty") == (not has_content(text))
    if has_content(text):
        assert mini_model.predict(text) in LABELS
    else:
        with pytest.raises(ValueError):
            mini_model.predict(text)


@pytest.mark.parametrize(
    "text",
    [
        "a" * (1_000_000 if FUZZ else 200_000),  # a huge single "word"
        "hola " * (100_000 if FUZZ else 30_000),  # 100,000 words
        "\ud800\udfff lone surrogates",
        "\u202eNO ME INTERESA\u202c",
        "👩‍👩‍👧‍👦" * 500,
        "\x00\x01\x02 texto con controles \x7f",
        "e\u0301" * 5000,  # combining marks
    ],
    ids=["huge-word", "many-words", "surrogates", "bidi", "zwj-emoji", "controls", "combining"],
)
def test_hostile_messages(mini_model: IntentModel, text: str) -> None:
    result = mini_model.classify(text, languages=None)
    assert result.label in LABELS
    assert result.status == ("truncated" if len(text) > MAX_CHARS else "ok")
    assert mini_model.classify(text).label in LABELS  # language identification copes too


def test_with_threshold_copies_and_validates(mini_model: IntentModel) -> None:
    strict = mini_model.with_threshold(0.99)
    assert strict is not mini_model and strict.threshold == 0.99 and mini_model.threshold == 0.5
    assert strict.pipeline is mini_model.pipeline and mini_model.with_threshold(None) is mini_model
    assert all(strict.steps[name] is step for name, step in mini_model.steps.items())
    assert strict.classify("no gracias").uncertain
    with pytest.raises(ValueError, match="between 0 and 1"):
        mini_model.with_threshold(1.5)


# ---- the policy, on fixed probabilities: labels, confidence, thresholds, statuses, language ---

from conftest import fixed_model  # noqa: E402
from intent import model as model_module  # noqa: E402

SPAM, GENUINE, GATE = LABELS


def spanish_only(monkeypatch: pytest.MonkeyPatch, language: str = "es") -> list[str]:
    """Language identification answers ``language`` for every message; returns the texts it was asked about."""
    asked: list[str] = []
    monkeypatch.setattr(model_module, "spanish_evidence", lambda normalized: False)
    monkeypatch.setattr(model_module, "identify", lambda text: asked.append(text) or language)
    return asked


def test_label_confidence_and_probabilities_follow_the_labels_order_whatever_the_classifiers() -> None:
    """The classifier's columns come in another order (reversed LABELS): each label keeps its own probability."""
    model = fixed_model({"a": (0.1, 0.7, 0.2), "b": (0.05, 0.15, 0.8)})
    a, b = model.classify(["a", "b"], languages=None)
    assert (a.label, a.confidence, a.probabilities) == (GENUINE, 0.7, {SPAM: 0.1, GENUINE: 0.7, GATE: 0.2})
    assert (b.label, b.confidence) == (GATE, 0.8)
    assert model.predict(["a", "b"]) == [GENUINE, GATE] and model.predict("b") == GATE
    assert model.predict_proba(["a", "b"]).tolist() == [[0.1, 0.7, 0.2], [0.05, 0.15, 0.8]]
    assert model.predict_proba("a").tolist() == [0.1, 0.7, 0.2]
    assert model.labels == LABELS


@pytest.mark.parametrize(
    ("probabilities", "uncertain"),
    [((0.6, 0.3, 0.1), False), ((0.59, 0.31, 0.1), True), ((0.61, 0.29, 0.1), False), ((0.4, 0.35, 0.25), True)],
    ids=["at-threshold", "just-under", "just-over", "far-under"],
)
def test_uncertain_is_confidence_strictly_under_the_threshold(
    probabilities: tuple[float, float, float], uncertain: bool
) -> None:
    result = fixed_model({"m": probabilities}, threshold=0.6).classify("m", languages=None)
    assert result.uncertain is uncertain and result.status == "ok" and result.label == SPAM


def test_with_threshold_moves_the_boundary_and_checks_it() -> None:
    model = fixed_model({"m": (0.7, 0.2, 0.1)}, threshold=0.6)
    assert not model.classify("m", languages=None).uncertain
    stricter = model.with_threshold(0.7)
    assert stricter.threshold == 0.7 and not stricter.classify("m", languages=None).uncertain
    assert model.with_threshold(0.71).classify("m", languages=None).uncertain
    assert model.with_threshold(None) is model and model.threshold == 0.6
    assert stricter.metadata == {"name": "fixed"} and stricter.steps == model.steps
    assert model.with_threshold(0.0).threshold == 0.0 and model.with_threshold(1.0).threshold == 1.0
    for bad in (-0.01, 1.01):
        with pytest.raises(ValueError, match=f"between 0 and 1, got {bad}"):
            model.with_threshold(bad)


def test_a_foreign_message_is_uncertain_however_confident(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = spanish_only(monkeypatch, "en")
    model = fixed_model({"pitch": (0.99, 0.005, 0.005)}, threshold=0.5)
    result = model.classify("pitch")
    assert (result.label, result.confidence, result.language) == (SPAM, 0.99, "en")
    assert result.uncertain and result.status == "other_language" and not result.truncated
    assert asked == ["pitch"]
    widened = model.classify("pitch", languages=("es", "en"))  # supported once listed: confident again
    assert not widened.uncertain and widened.status == "ok" and widened.language == "en"


def test_too_short_to_tell_and_spanish_are_not_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    spanish_only(monkeypatch, "und")
    model = fixed_model({"ok": (0.9, 0.05, 0.05)})
    result = model.classify("ok")
    assert result.language == "und" and result.status == "ok" and not result.uncertain


def test_spanish_evidence_skips_identification(monkeypatch: pytest.MonkeyPatch) -> None:
    """The model's own normalized text decides most Spanish messages; identify runs only for the rest."""
    seen: list[str] = []
    monkeypatch.setattr(model_module, "spanish_evidence", lambda normalized: seen.append(normalized) or True)
    monkeypatch.setattr(model_module, "identify", lambda text: pytest.fail("identify should not run"))
    result = fixed_model({"hola": (0.9, 0.05, 0.05)}).classify("hola")
    assert result.language == "es" and result.status == "ok" and seen == ["hola"]


def test_no_language_identification_when_languages_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_module, "spanish_evidence", lambda normalized: pytest.fail("should not run"))
    monkeypatch.setattr(model_module, "identify", lambda text: pytest.fail("should not run"))
    result = fixed_model({"hi": (0.9, 0.05, 0.05)}).classify("hi", languages=None)
    assert result.language == "" and result.status == "ok" and not result.uncertain


def test_truncated_status_starts_one_character_past_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    at, past = "a" * MAX_CHARS, "a" * (MAX_CHARS + 1)
    model = fixed_model({at: (0.9, 0.05, 0.05), past: (0.9, 0.05, 0.05)})
    kept, cut = model.classify([at, past], languages=None)
    assert (kept.status, kept.truncated) == ("ok", False)
    assert (cut.status, cut.truncated, cut.uncertain) == ("truncated", True, False)
    spanish_only(monkeypatch, "en")
    both = model.classify(past)  # other_language wins the status; truncated still says it was cut
    assert (both.status, both.truncated, both.uncertain) == ("other_language", True, True)


def test_empty_messages_keep_their_place_in_a_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    spanish_only(monkeypatch)
    model = fixed_model({"a": (0.9, 0.05, 0.05), "b": (0.1, 0.1, 0.8)})
    results = model.classify(["a", "", "<p></p>", "b"])
    assert [r.label for r in results] == [SPAM, None, None, GATE]
    empty = results[1]
    assert (empty.status, empty.confidence, empty.uncertain, empty.probabilities, empty.language) == (
        "empty",
        0.0,
        True,
        {},
        "",
    )
    assert [r.status for r in results] == ["ok", "empty", "empty", "ok"]
    assert model.classify([]) == [] and model.predict_proba([]).shape == (0, 3)
    with pytest.raises(ValueError, match="message at position 2 is empty"):
        model.predict_proba(["a", "b", " "])
    with pytest.raises(
        ValueError,
        match=r"^the message is empty once cleaned \(blank, or only markup, invisible or control characters\); "
        r"there is nothing to classify\. Use classify\(\) for a per-message status instead\.$",
    ):
        model.predict(" ")
    with pytest.raises(ValueError, match=r"^message at position 1 is empty once cleaned"):
        model.predict(["a", "<br>"])


def test_messages_are_classified_in_chunks_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {f"m{i}": ((0.8, 0.1, 0.1) if i % 2 else (0.1, 0.1, 0.8)) for i in range(7)}
    model = fixed_model(table)
    monkeypatch.setattr(model, "CHUNK", 3)
    assert model.predict(list(table)) == [GATE if i % 2 == 0 else SPAM for i in range(7)]
    assert model.predict_proba(list(table)).shape == (7, 3)
    assert model.predict(list(table)[:5]) == [GATE, SPAM, GATE, SPAM, GATE]  # two chunks
    results = model.classify(list(table), languages=None)  # each message keeps its own normalized text
    assert [r.label for r in results] == [GATE if i % 2 == 0 else SPAM for i in range(7)]
    seen: list[str] = []
    monkeypatch.setattr(model_module, "spanish_evidence", lambda normalized: seen.append(normalized) or True)
    model.classify(list(table))
    assert seen == list(table)


def test_a_model_with_other_labels_is_refused() -> None:
    with pytest.raises(ValueError, match=r"trained on labels \['a', 'b', 'c'\], expected"):
        fixed_model({}, classes=("a", "b", "c"))
    with pytest.raises(ValueError, match="expected"):
        fixed_model({}, classes=(SPAM, GENUINE))


def test_steps_become_a_pipeline_only_when_asked(mini_model: IntentModel) -> None:
    assert IntentModel(list(mini_model.steps.items())).threshold == 0.5  # the default
    assert IntentModel(list(mini_model.steps.items())).metadata == {}
    model = IntentModel(list(mini_model.steps.items()), threshold=0.25, metadata={"k": 1})
    assert model._pipeline is None and model.threshold == 0.25 and model.metadata == {"k": 1}
    pipeline = model.pipeline
    assert [name for name, _ in pipeline.steps] == ["preprocess", "features", "classifier"]
    assert model.pipeline is pipeline  # built once
    assert model.spacy_model == "blank:es" and repr(model) == "IntentModel(threshold=0.250, spacy='blank:es')"


def test_first_format_state_is_read() -> None:
    model = IntentModel.__new__(IntentModel)
    pipeline = build_pipeline()
    model.__setstate__({"pipeline": pipeline, "threshold": 0.4, "metadata": {}})
    assert model.pipeline is pipeline and list(model.steps) == ["preprocess", "features", "classifier"]
    assert model.threshold == 0.4


def test_builders_wire_their_arguments() -> None:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    from intent.model import build_classifier

    logreg = build_classifier("logreg", C=2.5, seed=7)
    assert isinstance(logreg, LogisticRegression) and (logreg.C, logreg.random_state) == (2.5, 7)
    assert logreg.max_iter == 5000  # room to converge on a large corpus (the default 100 is not)
    default = build_classifier()
    assert isinstance(default, LogisticRegression) and (default.C, default.random_state) == (1.0, RANDOM_SEED)
    svm = build_classifier("svm", C=0.3, seed=5)
    assert isinstance(svm, CalibratedClassifierCV) and svm.method == "sigmoid"
    assert (svm.estimator.C, svm.estimator.random_state) == (0.3, 5)
    assert (svm.cv.n_splits, svm.cv.shuffle, svm.cv.random_state) == (3, True, 5)
    with pytest.raises(ValueError, match=r"unknown classifier 'tree'; choose one of \('logreg', 'svm'\)"):
        build_classifier("tree")
    pipe = build_pipeline("blank:xx", False, (1, 3), (3, 4), "svm", 0.3, 5, structure=False)
    assert [name for name, _ in pipe.steps] == ["preprocess", "features", "classifier"]
    pre, features, classifier = (step for _, step in pipe.steps)
    assert (pre.spacy_model, pre.drop_stopwords) == ("blank:xx", False)
    params = features.get_params()
    assert (params["word_ngram_range"], params["char_ngram_range"], params["structure"]) == ((1, 3), (3, 4), False)
    assert isinstance(classifier.estimator, CalibratedClassifierCV)
    assert (classifier.estimator.estimator.C, classifier.estimator.cv.random_state) == (0.3, 5)
    pre, features, classifier = (step for _, step in build_pipeline().steps)  # the defaults
    assert (pre.spacy_model, pre.drop_stopwords, features.get_params()["structure"]) == ("blank:es", True, True)
    assert (classifier.estimator.C, classifier.estimator.random_state) == (1.0, RANDOM_SEED)


def test_the_model_reads_only_the_first_max_chars(mini_model: IntentModel) -> None:
    """Truncation proven by the probabilities: a 30,000-character message scores exactly as its
    first MAX_CHARS characters, although the rest, read, would change them."""
    model = mini_model
    head = ("Encantada de conectar contigo, coincidimos en el congreso de Sevilla. " * 400)[:MAX_CHARS]
    tail = "Oferta exclusiva: curso de ventas por 99€, compra ya con descuento. " * 150
    message = head + tail
    assert len(message) >= 30_000
    assert np.array_equal(model.predict_proba(message), model.predict_proba(head))
    assert not np.allclose(model.predict_proba(head[:1000] + tail), model.predict_proba(head))  # the tail matters
    result = model.classify(message, languages=None)
    assert result.truncated and result.status == "truncated"


def test_threads_predicting_at_once_get_what_one_thread_gets(mini_model_path: Path) -> None:
    """The caches filled while predicting (token kinds, words' n-grams) are shared by threads: a
    web server's, or a user's pool. Each thread's messages are new words to them."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from intent.model_io import load_model_file

    batches = [
        [f"hola{i}x{j} te ofrezco demo{i} por {j} euros, ¿hablamos? no{i}, gracias" for j in range(n)]
        for i, n in enumerate([1, 3, 20, 40, 2, 33, 5, 50])
    ]
    serial = load_model_file(mini_model_path)
    expected = [serial.predict_proba(b) for b in batches]
    shared = load_model_file(mini_model_path)
    start = threading.Barrier(len(batches))

    def run(batch: list[str]) -> np.ndarray:
        start.wait()
        return shared.predict_proba(batch)

    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        got = list(pool.map(run, batches))
    for ours, theirs in zip(got, expected, strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-6)

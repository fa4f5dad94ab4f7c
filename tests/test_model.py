from __future__ import annotations

import numpy as np
import pytest

from intent.config import LABELS, MAX_CHARS
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

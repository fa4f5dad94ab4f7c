from __future__ import annotations

import pytest

from intent.config import LABELS
from intent.model import IntentModel
from intent.report.explain import explain, format_explanation


def test_explanation_names_words_and_placeholders(mini_model: IntentModel) -> None:
    exp = explain(mini_model, "Oferta exclusiva: curso por 49€ en https://cursos.example.com", top=8)
    assert exp.label == mini_model.predict("Oferta exclusiva: curso por 49€ en https://cursos.example.com")
    assert exp.placeholders == ["MONEY", "URL"]
    items = exp.contributions[exp.label]
    assert 0 < len(items) <= 8
    assert items == sorted(items, key=lambda c: -abs(c.weight))
    assert {c.kind for c in items} <= {"lemmas", "characters", "structure"}
    words = {c.feature for c in items if c.kind == "characters"}
    assert words <= {"oferta", "exclusiva", "curso", "por", "xxmoney", "en", "xxurl"}  # whole words, not n-grams


def test_contributions_sum_to_the_score_difference(mini_model: IntentModel) -> None:
    """For a linear model the pushes add up: checks the explanation is the model's own arithmetic."""
    import numpy as np

    from intent.report.explain import linear_weights

    text = "no me interesa, gracias"
    exp = explain(mini_model, text, top=10_000, all_labels=True)
    pipe = mini_model.pipeline
    x = pipe.named_steps["features"].transform(pipe.named_steps["preprocess"].transform([text]))
    w = linear_weights(pipe.named_steps["classifier"], list(pipe.classes_))
    scores = x @ (w - w.mean(axis=0)).T
    for i, label in enumerate(LABELS):
        total = sum(c.weight for c in exp.contributions[label])
        assert total == pytest.approx(float(np.asarray(scores)[0, i]), abs=1e-3)


def test_explain_errors_and_text(mini_model: IntentModel) -> None:
    with pytest.raises(ValueError, match="empty"):
        explain(mini_model, "  ")
    with pytest.raises(TypeError):
        explain(mini_model, None)  # type: ignore[arg-type]
    out = format_explanation(explain(mini_model, "no gracias"))
    assert "what pushed towards" in out


def test_structure_features_read_as_words(mini_model: IntentModel) -> None:
    from intent.report.explain import _structure_name

    assert _structure_name("e_demo") == "demo (al final)"
    assert _structure_name("n_interesar") == "interesar (negado)"
    assert _structure_name("b_hola") == "hola (al principio)"
    exp = explain(mini_model, "No me interesa. No gracias", top=10_000)
    structure = [c.feature for c in exp.contributions[exp.label] if c.kind == "structure"]
    assert structure and all(f.endswith(")") and "_" not in f.split(" ")[0][:2] for f in structure)

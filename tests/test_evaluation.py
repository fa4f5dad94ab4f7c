from __future__ import annotations

import numpy as np
import pytest

from intent.model import IntentModel
from intent.report.evaluation import (
    brier_score,
    calibration,
    confident_errors,
    evaluate_model,
    slice_metrics,
    strip_all_accents,
)

S, N, G = "spam_sales", "genuine_networking", "gatekeeping_rejection"


def test_brier_hand_computed() -> None:
    proba = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    # first: perfect (0); second true N: (0.5-0)^2 + (0.5-1)^2 + 0 = 0.5 -> mean 0.25
    assert brier_score(proba, [S, N]) == pytest.approx(0.25)
    assert brier_score(np.full((1, 3), 1 / 3), [G]) == pytest.approx(2 / 3)


def test_ece_hand_computed() -> None:
    # bin 0.9-1.0: confidences 0.95 (right) and 0.95 (wrong): acc 0.5, conf 0.95 -> gap 0.45
    # bin 0.6-0.7: confidence 0.6 (right): acc 1, conf 0.6 -> gap 0.4
    proba = np.array([[0.95, 0.05, 0.0], [0.95, 0.05, 0.0], [0.2, 0.6, 0.2]])
    cal = calibration(proba, [S, N, N], n_bins=10)
    assert cal["ece"] == pytest.approx(2 / 3 * 0.45 + 1 / 3 * 0.4)
    assert [b["n"] for b in cal["bins"]] == [1, 2]
    perfect = calibration(np.array([[1.0, 0.0, 0.0]]), [S])
    assert perfect["ece"] == 0.0 and perfect["bins"][0]["high"] == 1.0


def test_slice_metrics_per_value() -> None:
    out = slice_metrics([S, S, N, N], [S, N, N, N], {"region": ["spain", "spain", "peru", "peru"]})
    assert out["region"]["peru"] == {"n": 2, "macro_f1": pytest.approx(1 / 3), "accuracy": 1.0}
    assert out["region"]["spain"]["accuracy"] == 0.5


def test_confident_errors_sorted_by_confidence() -> None:
    proba = np.array([[0.6, 0.4, 0.0], [0.1, 0.9, 0.0], [0.9, 0.1, 0.0]])
    errors = confident_errors(["a", "b", "c"], [N, N, G], proba, ids=["x", "y", "z"])
    assert [e["id"] for e in errors] == ["z", "x"]
    assert errors[0]["predicted"] == S and errors[0]["confidence"] == pytest.approx(0.9)


def test_strip_all_accents() -> None:
    assert strip_all_accents("¿Año de reunión? ¡Pingüino!") == "Ano de reunion? Pinguino!"


def test_evaluate_model_has_every_part(mini_model: IntentModel, mini_data: tuple[list[str], list[str]]) -> None:
    texts, labels = mini_data
    result = evaluate_model(mini_model, texts, labels, {"region": ["x"] * len(texts)})
    for key in (
        "macro_f1",
        "per_label",
        "confusion_matrix",
        "calibration",
        "abstention",
        "slices",
        "robustness",
        "confident_errors",
    ):
        assert key in result
    assert set(result["slices"]) == {"region", "length"}
    assert set(result["robustness"]) == {"original", "accents_stripped", "lowercased"}


def test_abstention_counts_precision_coverage_and_flagged_errors() -> None:
    import numpy as np

    from intent.report.evaluation import abstention

    proba = np.array(
        [
            [0.9, 0.05, 0.05],  # confident, right
            [0.6, 0.3, 0.1],  # at the threshold: confident, wrong
            [0.5, 0.4, 0.1],  # under: flagged, wrong
            [0.2, 0.7, 0.1],  # confident, right
        ]
    )
    truth = ["spam_sales", "genuine_networking", "genuine_networking", "genuine_networking"]
    ab = abstention(proba, truth, threshold=0.6)
    assert ab["coverage"] == 0.75 and ab["precision_confident"] == pytest.approx(2 / 3)
    assert ab["errors"] == 2 and ab["errors_flagged"] == 0.5
    none = abstention(proba[:1], truth[:1], threshold=0.99)
    assert none["precision_confident"] is None and none["errors_flagged"] is None and none["coverage"] == 0.0

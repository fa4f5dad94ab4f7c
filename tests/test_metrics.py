from __future__ import annotations

import numpy as np
import pytest

from intent.report.metrics import choose_threshold, evaluate

S, N, G = "spam_sales", "genuine_networking", "gatekeeping_rejection"


def test_evaluate_hand_computed() -> None:
    y_true = [S, S, S, N, N, G]
    y_pred = [S, S, N, N, G, G]
    m = evaluate(y_true, y_pred)
    # spam: P=2/2, R=2/3, F1=0.8; networking: P=1/2, R=1/2, F1=0.5; gatekeeping: P=1/2, R=1, F1=2/3
    assert m["per_label"][S]["f1"] == pytest.approx(0.8)
    assert m["per_label"][N]["f1"] == pytest.approx(0.5)
    assert m["per_label"][G]["f1"] == pytest.approx(2 / 3)
    assert m["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["confusion_matrix"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_choose_threshold_hand_computed() -> None:
    # confidences 0.9 (right), 0.8 (right), 0.7 (wrong), 0.6 (right)
    proba = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.7, 0.2, 0.1], [0.2, 0.2, 0.6]])
    y = [S, N, N, G]
    t = choose_threshold(proba, y, target_precision=0.97)
    assert t["threshold"] == pytest.approx(0.8) and t["coverage"] == pytest.approx(0.5)
    assert t["precision"] == 1.0
    loose = choose_threshold(proba, y, target_precision=0.7)
    assert loose["threshold"] == pytest.approx(0.6) and loose["precision"] == pytest.approx(0.75)


def test_choose_threshold_keeps_ties_together() -> None:
    proba = np.array([[0.9, 0.05, 0.05], [0.9, 0.05, 0.05]])
    t = choose_threshold(proba, [S, N], target_precision=0.97)
    assert t["coverage"] == 1.0 and t["precision"] == 0.5  # unreachable target: best precision

"""Metrics for reports: per-label scores, the confusion matrix, and the abstention threshold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from intent.config import LABELS


def evaluate(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-label precision/recall/F1/support and the confusion matrix.

    Matrix rows are true labels and columns predicted labels, both in `LABELS` order.
    """
    labels = list(LABELS)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "n": len(y_true),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "per_label": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def choose_threshold(proba: np.ndarray, y_true: Sequence[str], target_precision: float) -> dict[str, float]:
    """The lowest confidence threshold at which confident predictions reach ``target_precision``.

    ``proba`` is (n, 3) in `LABELS` order, ideally out-of-fold. Lowest threshold = most
    messages covered. Returns the threshold with the precision and coverage it gives; if no
    threshold reaches the target, the one with the best precision.
    """
    truth = np.array([LABELS.index(label) for label in y_true])
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == truth
    order = np.argsort(-confidence, kind="stable")
    conf_sorted, correct_sorted = confidence[order], correct[order]
    # Precision and coverage when keeping the top-k most confident, for every k.
    precision = np.cumsum(correct_sorted) / np.arange(1, len(order) + 1)
    # Only cut between distinct confidences: ties must all be kept or all dropped.
    last_of_tie = np.append(conf_sorted[1:] != conf_sorted[:-1], True)
    ok = np.flatnonzero(last_of_tie & (precision >= target_precision))
    k = int(ok[-1]) if ok.size else int(np.flatnonzero(last_of_tie)[np.argmax(precision[last_of_tie])])
    return {
        "threshold": float(conf_sorted[k]),
        "precision": float(precision[k]),
        "coverage": float((k + 1) / len(order)),
        "target_precision": float(target_precision),
    }

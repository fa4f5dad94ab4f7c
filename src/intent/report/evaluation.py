"""Evaluation: how good the model is, where it fails, and how well its probabilities hold.

Everything here is pure computation on labels and probabilities; `intent.report.files` turns the
result into files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from intent.config import LABELS
from intent.report.metrics import evaluate

if TYPE_CHECKING:
    from intent.model import IntentModel

#: Columns of the corpus used for slice metrics, when present.
SLICE_COLUMNS = ("region", "form", "register", "phenomenon")


def brier_score(proba: np.ndarray, y_true: Sequence[str]) -> float:
    """Multi-class Brier score: mean over messages of the squared distance to the one-hot truth.

    0 is perfect; always answering 1/3 each scores 2/3.
    """
    onehot = np.zeros_like(proba, dtype=float)
    onehot[np.arange(len(y_true)), [LABELS.index(y) for y in y_true]] = 1.0
    return float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))


def calibration(proba: np.ndarray, y_true: Sequence[str], n_bins: int = 10) -> dict[str, Any]:
    """Expected calibration error over equal-width confidence bins, with the bins themselves.

    ECE = sum over bins of (share of messages in the bin) x |accuracy - mean confidence|.
    """
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == np.array([LABELS.index(y) for y in y_true])
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # A confidence of exactly 1.0 belongs to the last bin.
    which = np.minimum(np.digitize(confidence, edges[1:-1], right=True), n_bins - 1)
    bins, ece = [], 0.0
    for b in range(n_bins):
        mask = which == b
        n = int(mask.sum())
        if n:
            acc, conf = float(correct[mask].mean()), float(confidence[mask].mean())
            ece += n / len(y_true) * abs(acc - conf)
            bins.append(
                {"low": float(edges[b]), "high": float(edges[b + 1]), "n": n, "accuracy": acc, "confidence": conf}
            )
    return {"ece": float(ece), "brier": brier_score(proba, y_true), "bins": bins}


def length_bucket(text: str) -> str:
    words = len(text.split())
    if words <= 4:
        return "1-4 words"
    if len(text) < 300:
        return "5 words-299 chars"
    if len(text) < 800:
        return "300-799 chars"
    return "800+ chars"


def slice_metrics(y_true: Sequence[str], y_pred: Sequence[str], groups: dict[str, Sequence[str]]) -> dict[str, Any]:
    """Macro-F1 and accuracy per value of each grouping (region, form, length bucket…)."""
    out: dict[str, Any] = {}
    truth, pred = np.array(y_true), np.array(y_pred)
    for facet, values in groups.items():
        column = np.array(values)
        out[facet] = {}
        for value in sorted(set(values)):
            mask = column == value
            m = evaluate(list(truth[mask]), list(pred[mask]))
            out[facet][value] = {"n": int(mask.sum()), "macro_f1": m["macro_f1"], "accuracy": m["accuracy"]}
    return out


def strip_all_accents(text: str) -> str:
    """What people type on a phone without accents: á->a, ñ->n, ü->u, no ¿ ¡."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).replace("¿", "").replace("¡", "")


def confident_errors(
    texts: Sequence[str], y_true: Sequence[str], proba: np.ndarray, ids: Sequence[str] | None = None, n: int = 20
) -> list[dict[str, Any]]:
    """The ``n`` wrong predictions the model was most sure of."""
    predicted = proba.argmax(axis=1)
    confidence = proba.max(axis=1)
    wrong = [i for i in range(len(texts)) if LABELS[predicted[i]] != y_true[i]]
    wrong.sort(key=lambda i: -confidence[i])
    return [
        {
            "id": ids[i] if ids is not None else str(i),
            "true": y_true[i],
            "predicted": LABELS[predicted[i]],
            "confidence": float(confidence[i]),
            "text": texts[i],
        }
        for i in wrong[:n]
    ]


def abstention(proba: np.ndarray, y_true: Sequence[str], threshold: float) -> dict[str, Any]:
    """What the `uncertain` flag does on labeled data: how precise the confident predictions are,
    how many messages they cover, and what share of the errors the flag catches (None when there is
    nothing to divide by: no confident prediction, no error)."""
    truth = np.array([LABELS.index(y) for y in y_true])
    confident = proba.max(axis=1) >= threshold
    wrong = proba.argmax(axis=1) != truth
    return {
        "threshold": float(threshold),
        "coverage": float(confident.mean()) if len(truth) else None,
        "precision_confident": float(1.0 - wrong[confident].mean()) if confident.any() else None,
        "errors": int(wrong.sum()),
        "errors_flagged": float((wrong & ~confident).sum() / wrong.sum()) if wrong.any() else None,
    }


def percent(value: float | None, digits: int = 1) -> str:
    """A share as a percentage, or "n/a" when undefined."""
    return "n/a" if value is None else f"{value:.{digits}%}"


def evaluate_model(
    model: IntentModel,
    texts: Sequence[str],
    y_true: Sequence[str],
    columns: dict[str, Sequence[str]] | None = None,
    ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Scores, confusion matrix, calibration, confident errors, slices and robustness."""
    columns = columns or {}
    proba = model.predict_proba(list(texts))
    y_pred = [LABELS[i] for i in proba.argmax(axis=1)]
    scores = evaluate(y_true, y_pred)
    groups: dict[str, Sequence[str]] = {c: list(columns[c]) for c in SLICE_COLUMNS if c in columns and any(columns[c])}
    groups["length"] = [length_bucket(t) for t in texts]
    robust = {}
    for name, transform in (("accents_stripped", strip_all_accents), ("lowercased", str.lower)):
        variant = model.predict([transform(t) for t in texts])
        robust[name] = evaluate(y_true, variant)["macro_f1"]
    return {
        **scores,
        "calibration": calibration(proba, y_true),
        "abstention": abstention(proba, y_true, model.threshold),
        "slices": slice_metrics(y_true, y_pred, groups),
        "robustness": {"original": scores["macro_f1"], **robust},
        "confident_errors": confident_errors(texts, y_true, proba, ids),
    }


def evaluate_dataset(model: IntentModel, ds: Any) -> dict[str, Any]:
    """`evaluate_model` on a dataset from `intent.learn.data` (its slice columns and ids are used when present)."""
    from intent.learn.data import texts_and_labels

    texts, labels = texts_and_labels(ds)
    columns = {c: ds[c] for c in SLICE_COLUMNS if c in ds.column_names}
    ids = ds["id"] if "id" in ds.column_names else None
    return evaluate_model(model, texts, labels, columns, ids)

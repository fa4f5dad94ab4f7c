"""The public functions. The default model loads lazily, once per process, thread-safely."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import overload

import numpy as np

from intent.config import default_model_path
from intent.model import IntentModel, Prediction
from intent.model_io import load_model_file
from intent.report.explain import Explanation
from intent.report.explain import explain as explain_message
from intent.text.language import SUPPORTED

ModelRef = IntentModel | str | Path | None

_LOCK = threading.Lock()
_CACHE: dict[Path, IntentModel] = {}


def load_model(path: str | Path | None = None) -> IntentModel:
    """Load a model file (default: see `default_model_path`); cached per resolved path."""
    resolved = (Path(path).expanduser() if path is not None else default_model_path()).resolve()
    with _LOCK:
        model = _CACHE.get(resolved)
        if model is None:
            model = load_model_file(resolved)
            _CACHE[resolved] = model
    return model


def _resolve(model: ModelRef) -> IntentModel:
    return model if isinstance(model, IntentModel) else load_model(model)


@overload
def predict(texts: str, *, model: ModelRef = None) -> str: ...  # type: ignore[overload-overlap]
@overload
def predict(texts: Iterable[str], *, model: ModelRef = None) -> list[str]: ...
def predict(texts: str | Iterable[str], *, model: ModelRef = None) -> str | list[str]:
    """The intent of one message (a label) or of many (a list of labels).

    Raises TypeError for a non-string (naming its position) and ValueError for an empty
    message: use `classify` when you want a per-message status instead of an error.
    """
    return _resolve(model).predict(texts)


def predict_proba(texts: str | Iterable[str], *, model: ModelRef = None) -> np.ndarray:
    """Probabilities per label in `LABELS` order: shape (3,) for a string, (n, 3) for many."""
    return _resolve(model).predict_proba(texts)


@overload
def classify(  # type: ignore[overload-overlap]
    texts: str, *, model: ModelRef = None, languages: tuple[str, ...] | None = SUPPORTED
) -> Prediction: ...
@overload
def classify(
    texts: Iterable[str], *, model: ModelRef = None, languages: tuple[str, ...] | None = SUPPORTED
) -> list[Prediction]: ...
def classify(
    texts: str | Iterable[str], *, model: ModelRef = None, languages: tuple[str, ...] | None = SUPPORTED
) -> Prediction | list[Prediction]:
    """Full results (label, confidence, probabilities, uncertain, status, language) for one or many.

    Messages not in ``languages`` (Spanish by default) get status ``other_language``.
    """
    return _resolve(model).classify(texts, languages)


def explain(text: str, *, model: ModelRef = None, top: int = 10, all_labels: bool = False) -> Explanation:
    """Which features pushed ``text`` towards its label (or towards each label), with weights."""
    return explain_message(_resolve(model), text, top=top, all_labels=all_labels)

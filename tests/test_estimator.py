"""The model's steps keep scikit-learn's estimator protocol without importing scikit-learn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils import get_tags

from intent.linear import LinearProbabilities
from intent.text.features import TextFeatures
from intent.text.preprocess import SpacyPreprocessor


def test_params_clone_and_nested_set_params() -> None:
    head = LinearProbabilities(LogisticRegression(C=3.0))
    assert head.get_params(deep=False) == {"estimator": head.estimator}
    assert head.get_params()["estimator__C"] == 3.0
    head.set_params(estimator__C=7.0)
    assert head.estimator.C == 7.0
    twin = clone(head)
    assert twin is not head and twin.estimator is not head.estimator and twin.estimator.C == 7.0
    features = TextFeatures(char_ngram_range=(3, 5), structure=True)
    assert clone(features).get_params() == features.get_params()
    with pytest.raises(ValueError, match="invalid parameter"):
        features.set_params(nope=1)
    assert repr(SpacyPreprocessor()).startswith("SpacyPreprocessor(batch_size=256")


def test_tags_are_scikit_learns() -> None:
    assert get_tags(LinearProbabilities(LogisticRegression())).estimator_type == "classifier"
    assert get_tags(TextFeatures()).transformer_tags is not None
    assert get_tags(SpacyPreprocessor()).target_tags.required is False


def test_predicting_never_imports_scikit_learn(mini_model_path: Path) -> None:
    """Its import alone costs 80 to 140 MB and most of a second in every process that predicts."""
    code = (
        "import sys\n"
        "from intent import load_model\n"
        f"m = load_model({str(mini_model_path)!r})\n"
        "m.classify(['no me interesa', 'hola, ¿tienes 15 minutos para una demo?'])\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('sklearn', 'pandas', 'datasets')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

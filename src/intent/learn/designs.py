"""The model designs compared by cross-validation, each with its own small hyperparameter grid.

A design is what the model reads and how it decides; the grid is what cross-validation tunes
within it. `make train` fits every design on the same folds, keeps the best by macro-F1, and
reports all of them on the held-out sets (reported only, never used to choose).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sklearn.ensemble import VotingClassifier
from sklearn.pipeline import Pipeline

from intent.errors import DataError
from intent.linear import LinearProbabilities
from intent.model import build_classifier
from intent.text.features import TextFeatures


@dataclass(frozen=True)
class Design:
    """A named candidate: the downstream pipeline's settings (after spaCy) and the grid over them."""

    name: str
    description: str
    grid: dict[str, list[Any]]


def downstream(seed: int) -> Pipeline:
    """The part of the model after preprocessing: features, then a classifier (set by each design)."""
    return Pipeline(
        [("features", TextFeatures()), ("classifier", LinearProbabilities(build_classifier("logreg", seed=seed)))]
    )


def designs(seed: int) -> list[Design]:
    """Every candidate, in the order they are reported."""
    logreg = LinearProbabilities(build_classifier("logreg", seed=seed))
    svm = LinearProbabilities(build_classifier("svm", seed=seed))
    vote = LinearProbabilities(
        VotingClassifier(
            [("logreg", build_classifier("logreg", seed=seed)), ("svm", build_classifier("svm", seed=seed))],
            voting="soft",
        )
    )
    return [
        Design(
            "words+chars LR",
            "lemma 1-2-grams and character 2-5-grams, logistic regression (the first model's design)",
            {"features__structure": [False], "classifier": [logreg], "classifier__estimator__C": [10.0, 30.0, 100.0]},
        ),
        Design(
            "words+chars+structure LR",
            "plus where each lemma sits (first or closing sentences) and what a negation covers",
            {"features__structure": [True], "classifier": [logreg], "classifier__estimator__C": [10.0, 30.0, 100.0]},
        ),
        Design(
            "words+chars+structure SVM",
            "the same features, a linear SVM with Platt-scaled probabilities",
            {
                "features__structure": [True],
                "classifier": [svm],
                "classifier__estimator__estimator__C": [0.1, 0.3, 1.0],
            },
        ),
        Design(
            "words+chars+structure LR+SVM",
            "the same features, soft vote of logistic regression and the calibrated SVM",
            {
                "features__structure": [True],
                "classifier": [vote],
                "classifier__estimator__logreg__C": [30.0],
                "classifier__estimator__svm__estimator__C": [0.3],
            },
        ),
    ]


def recorded(name: str, hyperparameters: dict[str, Any], seed: int) -> Pipeline:
    """The downstream pipeline (unfitted) of a design a model's metadata records, with its chosen settings.

    Lets a model be refitted on new data without searching again: the design's fixed settings
    come from its grid, the tuned ones from ``hyperparameters`` (as `readable` wrote them).
    """
    found = {d.name: d for d in designs(seed)}.get(name)
    if found is None:
        raise DataError(f"the model records the design {name!r}, which this version of intent does not know.")
    params: dict[str, Any] = {key: values[0] for key, values in found.grid.items()}
    for key in params:
        recorded_as = key.replace("__estimator", "")  # as `readable` wrote it
        if key != "classifier" and recorded_as in hyperparameters:  # the classifier's kind is the design's
            value = hyperparameters[recorded_as]
            params[key] = tuple(value) if isinstance(value, list) else value
    return downstream(seed).set_params(**params)


def readable(params: dict[str, Any]) -> dict[str, Any]:
    """Best parameters as plain JSON values (the classifier object becomes its kind)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key == "classifier":
            inner = value.estimator
            out[key] = (
                "logreg+svm"
                if isinstance(inner, VotingClassifier)
                else "svm"
                if type(inner).__name__ == "CalibratedClassifierCV"
                else "logreg"
            )
        else:
            out[key.replace("__estimator", "")] = list(value) if isinstance(value, tuple) else value
    return out

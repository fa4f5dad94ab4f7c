"""The model's last step: a linear classifier, fitted by scikit-learn, kept as plain arrays.

`LinearProbabilities` wraps logistic regression, a linear SVM calibrated with Platt scaling
(`CalibratedClassifierCV`), or a soft vote of them. After ``fit`` it keeps only what predicting
needs: for each member, its weights, intercepts and how scores become probabilities (softmax,
or per-class sigmoids normalized to sum to one). Predicting is then one sparse product and a
few array operations, with the very probabilities the fitted estimator gives; and the model
can be saved as arrays that load without running code (`intent.model_io`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from intent.estimator import Classifier

LINKS = ("softmax", "sigmoid")


@dataclass(frozen=True)
class Member:
    """One linear scorer: ``scores = X @ by_feature + intercept``, made probabilities by ``link``.

    ``by_feature`` is the weight matrix as (n_features, n_classes), stored that way round: a
    sparse product with scikit-learn's (n_classes, n_features) ``coef_`` transposed would copy it
    on every call. ``softmax``: logistic regression. ``sigmoid``: one calibrator per class,
    ``p_c = 1 / (1 + exp(a_c * s_c + b_c))``, then normalized across classes (scikit-learn's
    `CalibratedClassifierCV` with ``method="sigmoid"``). ``weight``: its share of the average.
    """

    by_feature: np.ndarray  # (n_features, n_classes), float32, C-contiguous
    intercept: np.ndarray  # (n_classes,)
    link: str
    a: np.ndarray | None = None  # (n_classes,), sigmoid only
    b: np.ndarray | None = None
    weight: float = 1.0

    @classmethod
    def of(cls, coef: Any, intercept: Any, link: str, **kwargs: Any) -> Member:
        """From scikit-learn's (n_classes, n_features) ``coef_``, kept in single precision: the
        features are single precision already, and it halves the model's memory (probabilities
        move by about 1e-7)."""
        weights = np.ascontiguousarray(np.asarray(coef, dtype=np.float32).T)
        return cls(weights, np.asarray(intercept, dtype=np.float64), link, **kwargs)

    @property
    def coef(self) -> np.ndarray:
        return self.by_feature.T

    def probabilities(self, X: Any) -> np.ndarray:
        return self.from_products(X @ self.by_feature)

    def from_products(self, products: Any) -> np.ndarray:
        """Probabilities from ``X @ by_feature`` (computed by the caller, maybe with other members')."""
        scores = np.asarray(products, dtype=np.float64) + self.intercept
        if self.link == "softmax":
            scores -= scores.max(axis=1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=1, keepdims=True)
            return scores
        assert self.a is not None and self.b is not None
        proba = 1.0 / (1.0 + np.exp(self.a * scores + self.b))
        total = proba.sum(axis=1, keepdims=True)
        out = np.full_like(proba, 1.0 / proba.shape[1])
        np.divide(proba, total, out=out, where=total != 0)
        out[(out > 1.0) & (out <= 1.0 + 1e-5)] = 1.0
        return out


def _members(estimator: Any, weight: float) -> list[Member]:
    """The linear members of a fitted estimator (classes in the estimator's own order)."""
    name = type(estimator).__name__
    if name == "LogisticRegression":
        if len(estimator.classes_) < 3:
            raise ValueError("binary logistic regression is not supported: intent has three labels")
        return [Member.of(estimator.coef_, estimator.intercept_, "softmax", weight=weight)]
    if name == "CalibratedClassifierCV":
        if estimator.method != "sigmoid":
            raise ValueError(f"only sigmoid calibration is supported, not {estimator.method!r}")
        out = []
        share = weight / len(estimator.calibrated_classifiers_)
        for calibrated in estimator.calibrated_classifiers_:
            inner = calibrated.estimator
            if not hasattr(inner, "coef_") or list(inner.classes_) != list(estimator.classes_):
                raise ValueError(f"calibrated {type(inner).__name__} is not a linear model over every class")
            out.append(
                Member.of(
                    inner.coef_,
                    inner.intercept_,
                    "sigmoid",
                    a=np.array([c.a_ for c in calibrated.calibrators], float),
                    b=np.array([c.b_ for c in calibrated.calibrators], float),
                    weight=share,
                )
            )
        return out
    if name == "VotingClassifier":
        if estimator.voting != "soft":
            raise ValueError("only soft voting averages probabilities")
        weights = estimator.weights or [1.0] * len(estimator.estimators_)
        total = float(sum(weights))
        out = []
        n_classes = len(estimator.classes_)
        for member, w in zip(estimator.estimators_, weights, strict=True):
            # the vote fits its members on encoded labels 0..n-1, in the order of its own classes_
            if list(member.classes_) not in (list(range(n_classes)), list(estimator.classes_)):
                raise ValueError("the vote's members disagree on the classes")
            out += _members(member, weight * w / total)
        return out
    raise ValueError(f"{name} cannot be kept as linear arrays")


class LinearProbabilities(Classifier):
    """Fit ``estimator``, then keep it as arrays (see the module docstring).

    Parameters
    ----------
    estimator:
        An unfitted `LogisticRegression`, `CalibratedClassifierCV` over a linear model with
        sigmoid calibration, or a soft `VotingClassifier` of those.

    Attributes
    ----------
    classes_: the labels, in the fitted estimator's order.
    members_: the linear scorers whose weighted probabilities average to the prediction.
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> LinearProbabilities:
        from sklearn.base import clone

        if self.estimator is None:
            raise ValueError("LinearProbabilities needs an estimator to fit")
        fitted = clone(self.estimator)
        if sample_weight is None:
            fitted.fit(X, y)
        else:
            fitted.fit(X, y, sample_weight=sample_weight)
        self.classes_ = np.asarray(fitted.classes_)
        self.members_ = _members(fitted, 1.0)
        self.__dict__.pop("_stacked", None)
        return self

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the stacked weights (a cache, as large as the weights themselves)."""
        state = dict(self.__dict__)
        state.pop("_stacked", None)
        return state

    @classmethod
    def from_arrays(cls, classes: np.ndarray, members: list[Member]) -> LinearProbabilities:
        """A fitted instance from saved arrays (no estimator needed to predict)."""
        model = cls()
        model.classes_ = np.asarray(classes)
        model.members_ = list(members)
        return model

    def predict_proba(self, X: Any) -> np.ndarray:
        X = X if sp.issparse(X) or isinstance(X, np.ndarray) else np.asarray(X)
        k = len(self.classes_)
        # One product with every member's weights side by side reads X once instead of once per
        # member (the same sums, in the same order, so the same scores).
        products = X @ self._stacked_weights()
        proba = np.zeros((X.shape[0], k))
        for i, member in enumerate(self.members_):
            proba += member.weight * member.from_products(products[:, i * k : (i + 1) * k])
        return proba

    def _stacked_weights(self) -> np.ndarray:
        """The members' ``by_feature`` side by side, (n_features, n_members * n_classes); built on
        first use and not saved (the model file keeps each member's own)."""
        stacked = self.__dict__.get("_stacked")
        if stacked is None:
            stacked = self.__dict__["_stacked"] = np.ascontiguousarray(np.hstack([m.by_feature for m in self.members_]))
        return stacked

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    @property
    def coef_(self) -> np.ndarray:
        """The members' weights averaged by their shares: what explanations read (exact for one
        logistic regression; for calibrated or voted members, the average linear direction)."""
        return np.sum([m.weight * m.coef for m in self.members_], axis=0)

    @property
    def n_features_in_(self) -> int:
        return int(self.members_[0].by_feature.shape[0])

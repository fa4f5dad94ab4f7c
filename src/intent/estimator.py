"""The scikit-learn estimator protocol, without importing scikit-learn.

The model's steps are scikit-learn estimators in every way that matters — parameters in
``__init__``, ``get_params``/``set_params``, learned state in trailing-underscore attributes,
``fit``/``transform``/``predict_proba``, estimator tags — so ``clone``, ``Pipeline`` and
``GridSearchCV`` use them as usual. They do not inherit from `sklearn.base.BaseEstimator`
because importing it imports much of SciPy and pandas: 80 to 140 MB and most of a second in
every process that only predicts (a user's first ``predict()``, each batch or web worker).
So these bases implement the protocol themselves and import scikit-learn only where
scikit-learn asks (the tags), which happens only when training.
"""

from __future__ import annotations

import inspect
from typing import Any


class Estimator:
    """Parameters from ``__init__``'s signature, as `sklearn.base.BaseEstimator` reads them."""

    @classmethod
    def _get_param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return sorted(p.name for p in signature.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in self._get_param_names():
            value = getattr(self, key)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{key}__{k}", v) for k, v in value.get_params().items())
            out[key] = value
        return out

    def set_params(self, **params: Any) -> Estimator:
        valid = self._get_param_names()
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; valid: {valid}")
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._get_param_names())
        return f"{type(self).__name__}({args})"

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import Tags, TargetTags

        return Tags(
            estimator_type=None,
            target_tags=TargetTags(required=False),
            transformer_tags=None,
            regressor_tags=None,
            classifier_tags=None,
        )


class Transformer(Estimator):
    """An estimator whose ``transform`` makes features (scikit-learn's TransformerMixin)."""

    def fit(self, X: Any, y: Any = None) -> Transformer:
        raise NotImplementedError

    def transform(self, X: Any) -> Any:
        raise NotImplementedError

    def fit_transform(self, X: Any, y: Any = None) -> Any:
        return self.fit(X, y).transform(X)

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        tags.transformer_tags = TransformerTags()
        return tags


class Classifier(Estimator):
    """An estimator that predicts labels (scikit-learn's ClassifierMixin)."""

    _estimator_type = "classifier"

    def predict(self, X: Any) -> Any:
        raise NotImplementedError

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy, as scikit-learn's classifiers score."""
        import numpy as np

        predicted = self.predict(X)
        right = np.asarray(predicted) == np.asarray(y)
        return float(np.average(right, weights=sample_weight))

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        return tags

"""The linear head keeps exactly the probabilities of the scikit-learn model it was fitted from."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from intent.linear import LinearProbabilities

RNG = np.random.default_rng(3)
X = RNG.normal(size=(120, 8))
Y = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)]

ESTIMATORS = {
    "logreg": LogisticRegression(C=3.0, max_iter=2000),
    "svm": CalibratedClassifierCV(LinearSVC(C=0.5), method="sigmoid", cv=3),
    "vote": VotingClassifier(
        [("lr", LogisticRegression(max_iter=2000)), ("svm", CalibratedClassifierCV(LinearSVC(), cv=3))],
        voting="soft",
        weights=[2, 1],
    ),
}


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_probabilities_equal_the_fitted_estimators(name: str) -> None:
    from sklearn.base import clone

    reference = clone(ESTIMATORS[name]).fit(X, Y)
    head = LinearProbabilities(ESTIMATORS[name]).fit(X, Y)
    assert list(head.classes_) == list(reference.classes_)
    assert np.allclose(head.predict_proba(X), reference.predict_proba(X), atol=1e-5)
    assert (head.predict(X) == reference.predict(X)).mean() > 0.99
    assert head.coef_.shape == (3, 8) and head.n_features_in_ == 8


def test_rebuilt_from_arrays_predicts_the_same() -> None:
    head = LinearProbabilities(ESTIMATORS["svm"]).fit(X, Y)
    again = LinearProbabilities.from_arrays(head.classes_, head.members_)
    assert (again.predict_proba(X) == head.predict_proba(X)).all()


def test_members_scored_together_equal_each_scored_alone() -> None:
    """Every member's weights in one product give each member's own probabilities, averaged."""
    head = LinearProbabilities(ESTIMATORS["vote"]).fit(X, Y)
    alone = sum(m.weight * m.probabilities(X) for m in head.members_)
    assert len(head.members_) == 4 and np.allclose(head.predict_proba(X), alone, atol=1e-12)


def test_refitting_after_predicting_uses_the_new_weights_and_pickles_without_the_cache() -> None:
    import pickle

    head = LinearProbabilities(ESTIMATORS["logreg"]).fit(X, Y)
    head.predict_proba(X)  # builds the stacked weights
    head.fit(X, Y[::-1])
    reference = LinearProbabilities(ESTIMATORS["logreg"]).fit(X, Y[::-1])
    assert np.allclose(head.predict_proba(X), reference.predict_proba(X))
    assert "_stacked" not in pickle.loads(pickle.dumps(head)).__dict__
    assert np.allclose(pickle.loads(pickle.dumps(head)).predict_proba(X), reference.predict_proba(X))


@pytest.mark.parametrize(
    "estimator",
    [
        RandomForestClassifier(n_estimators=3),
        CalibratedClassifierCV(LinearSVC(), method="isotonic", cv=3),
        VotingClassifier([("lr", LogisticRegression())], voting="hard"),
    ],
    ids=["forest", "isotonic", "hard-vote"],
)
def test_what_is_not_a_linear_probability_model_is_refused(estimator: object) -> None:
    with pytest.raises(ValueError):
        LinearProbabilities(estimator).fit(X, Y)


def test_binary_problems_are_refused() -> None:
    with pytest.raises(ValueError, match="three labels"):
        LinearProbabilities(LogisticRegression()).fit(X, np.where(Y == "a", "a", "b"))

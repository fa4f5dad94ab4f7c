"""Model designs: a recorded design is rebuilt with the settings its model chose."""

from __future__ import annotations

import json

import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression

from intent.config import CHECKOUT_MODEL_PATH
from intent.errors import DataError
from intent.learn.designs import designs, readable, recorded


def test_the_shipped_models_design_is_rebuilt_with_its_settings() -> None:
    meta = json.loads(CHECKOUT_MODEL_PATH.with_suffix(".json").read_text(encoding="utf-8"))
    pipe = recorded(meta["design"], meta["hyperparameters"], meta["seed"])
    params = pipe.get_params()
    # what `intent train` recorded comes back as it was chosen
    assert readable({k: params[k] for k in meta["hyperparameters"] if k in params}) == {
        k: v for k, v in meta["hyperparameters"].items() if k in params
    }
    assert params["features__structure"] == meta["hyperparameters"]["features__structure"]


@pytest.mark.parametrize("design", [d.name for d in designs(0)])
def test_every_design_comes_back_with_its_classifier_and_tuned_setting(design: str) -> None:
    grid = next(d for d in designs(0) if d.name == design).grid
    tuned = {k: v[-1] for k, v in grid.items() if k != "classifier" and len(v) > 1}  # a value other than the first
    hyperparameters = readable({"classifier": grid["classifier"][0], **tuned})  # as `intent train` records them
    params = recorded(design, hyperparameters, 0).get_params()
    inner = params["classifier"].estimator
    assert type(inner) is type(grid["classifier"][0].estimator)
    assert isinstance(inner, LogisticRegression | CalibratedClassifierCV) or design.endswith("+SVM")
    for key, value in tuned.items():
        assert params[key] == value


def test_an_unknown_design_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="does not know"):
        recorded("a design from the future", {}, 0)

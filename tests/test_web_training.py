"""Trainings: stage-by-stage progress, and what changed, computed from two labelings of a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from intent.config import LABELS
from intent.web.models import ServedModel
from intent.web.relabel import Labeling
from intent.web.training import STAGES, Training, _keep_where_unlabeled, _result

SPAM, GENUINE, REJECTION = LABELS


def test_progress_grows_stage_by_stage_and_every_stage_is_done_when_the_training_is() -> None:
    t = Training("t", "j", "base", 10)
    seen = []
    for stage in STAGES:
        for fraction in (0.0, 0.5, 1.0):
            t.stage, t.stage_progress = stage, fraction
            seen.append(t.progress())
            status = t.status()
            current = next(s for s in status["stages"] if s["name"] == stage)
            assert current["progress"] == fraction and not current["done"]
            assert all(s["done"] for s in status["stages"][: list(STAGES).index(stage)])
    assert seen == sorted(seen) and seen[0] == 0.0 and seen[-1] == 1.0
    assert t.status()["result"] is None
    t.state = "done"
    assert all(s["done"] for s in t.status()["stages"]) and t.progress() == 1.0


def labeling(labels: list[int]) -> Labeling:
    probabilities = np.array([[np.nan] * 3 if i < 0 else np.eye(3)[i] * 0.9 + 0.05 for i in labels])
    return Labeling.from_probabilities("m", "m", 0.5, probabilities, np.zeros(len(labels), dtype=bool))


def test_what_changed_leaves_out_the_corrected_rows_and_those_without_text(mini_base_path: Path) -> None:
    before = labeling([0, 1, 2, -1, 1, 1])
    after = labeling([0, 0, 2, -1, 2, 0])
    meta = {
        "name": "p",
        "model_path": "/x/p.joblib",
        "card_path": "/x/p.MODEL_CARD.md",
        "model_sha256": "s",
        "threshold": 0.5,
        "personal": {
            "corrections": 1,
            "counts": {},
            "weight": 10.0,
            "folds": 1,
            "grouped_by": "message",
            "base_right": 0,
            "personal_right": 1,
            "base_sure_right": 0,
            "personal_sure_right": 1,
            "held_out": {},
        },
    }
    result = _result(meta, ServedModel.load(mini_base_path), before, after, excluded={4})
    assert result["changed"] == {
        "count": 2,
        "compared": 4,  # five rows with text, one of them corrected
        "rows": [{"n": 1, "before": GENUINE, "after": SPAM}, {"n": 5, "before": GENUINE, "after": SPAM}],
    }
    assert result["model"]["folder"] == "/x"


def test_a_row_blank_once_repaired_keeps_the_base_models_label() -> None:
    base, new = labeling([1, 2]), labeling([0, -1])
    _keep_where_unlabeled(new, base)
    assert [new.label(0), new.label(1)] == [SPAM, REJECTION]

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intent.errors import DataError
from intent.model_io import load_model_file
from intent.training import TrainSettings, format_report, run

FIXTURE = Path(__file__).parent / "fixtures" / "mini_corpus.csv"


def settings(tmp_path: Path, name: str) -> TrainSettings:
    return TrainSettings(
        train_sources=[FIXTURE],
        test_source=FIXTURE,
        output=tmp_path / f"{name}.joblib",
        cv_folds=3,
        n_jobs=1,
        quiet=True,
    )


@pytest.mark.slow
def test_run_writes_model_metadata_and_baselines(tmp_path: Path) -> None:
    meta = run(settings(tmp_path, "a"))
    on_disk = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert on_disk == meta
    for key in (
        "labels",
        "versions",
        "spacy_pipeline",
        "data",
        "hyperparameters",
        "cv",
        "test",
        "trained_at",
    ):
        assert key in meta
    assert set(meta["test"]) == {"model", "majority_class", "tfidf_logreg_no_spacy"}
    assert len(meta["data"]["train"][0]["sha256"]) == 64
    assert meta["spacy_pipeline"]["name"] == "blank:es"
    report = format_report(meta)
    assert "majority class" in report and "no spaCy" in report
    # Determinism: a second run on the same data gives the same predictions and probabilities.
    run(settings(tmp_path, "b"))
    texts = ["no gracias", "curso de ventas por 99€", "encantada de conectar"]
    a, b = load_model_file(tmp_path / "a.joblib"), load_model_file(tmp_path / "b.joblib")
    assert (a.predict_proba(texts) == b.predict_proba(texts)).all()


def test_settings_validate() -> None:
    with pytest.raises(DataError):
        TrainSettings(cv_folds=1)
    with pytest.raises(DataError):
        TrainSettings(train_sources=[])


def test_too_few_examples_per_label(tmp_path: Path) -> None:
    path = tmp_path / "tiny.csv"
    path.write_text("text,label\nhola,spam\nque tal,networking\nno,rechazo\n", encoding="utf-8")
    s = TrainSettings(train_sources=[path], test_source=None, output=tmp_path / "m.joblib", quiet=True)
    with pytest.raises(DataError, match="at least 5 examples"):
        run(s)

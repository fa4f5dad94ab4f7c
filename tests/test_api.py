from __future__ import annotations

import os
from pathlib import Path

import pytest

import intent
from intent import api
from intent.config import CHECKOUT_MODEL_PATH, LABELS


def test_public_surface_is_small() -> None:
    """Exactly these names: adding one to the public surface is a decision, made here too."""
    assert sorted(intent.__all__) == [
        "Conversation",
        "DataError",
        "IntentError",
        "IntentModel",
        "LABELS",
        "ModelLoadError",
        "Prediction",
        "classify",
        "classify_conversations",
        "explain",
        "load_model",
        "predict",
        "predict_proba",
    ]
    assert all(getattr(intent, name) is not None for name in intent.__all__)
    assert intent.LABELS == LABELS


def test_functions_accept_a_model_path(mini_model_path: Path) -> None:
    assert intent.predict("no gracias", model=mini_model_path) in LABELS
    assert intent.predict_proba(["a", "b"], model=mini_model_path).shape == (2, 3)
    results = intent.classify(["hola", ""], model=mini_model_path)
    assert [r.status for r in results] == ["ok", "empty"]


def test_env_var_selects_the_default_model(mini_model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTENT_MODEL", str(mini_model_path))
    assert api.default_model_path() == mini_model_path
    assert intent.predict("no gracias") in LABELS


def test_model_is_loaded_once_and_cached(mini_model_path: Path) -> None:
    assert intent.load_model(mini_model_path) is intent.load_model(str(mini_model_path))


def test_missing_env_model_gives_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTENT_MODEL", str(tmp_path / "missing.joblib"))
    with pytest.raises(intent.ModelLoadError, match="No model file"):
        intent.predict("hola")


@pytest.mark.slow
def test_shipped_model_keeps_its_quality_on_the_test_set() -> None:
    """The committed model, on data/test.csv (never trained on): a floor on macro-F1, not a few sentences."""
    import csv

    from intent.config import TEST_CSV
    from intent.report.metrics import evaluate

    assert CHECKOUT_MODEL_PATH.is_file(), "the trained model must be committed (run `make train`)"
    with TEST_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 500
    predicted = intent.predict([r["text"] for r in rows], model=CHECKOUT_MODEL_PATH)
    scores = evaluate([r["label"] for r in rows], predicted)
    assert scores["macro_f1"] >= 0.95, scores
    assert min(v["f1"] for v in scores["per_label"].values()) >= 0.9, scores


def test_eight_threads_give_exactly_the_serial_results(mini_model_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    model = intent.load_model(mini_model_path)
    texts = [f"{t} {i}" for i in range(25) for t in ("no gracias", "curso por 99€", "encantada de conectar")]
    serial = [model.predict_proba(t).tolist() for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda t: model.predict_proba(t).tolist(), texts))
    assert threaded == serial


def test_lazy_default_model_is_loaded_once_under_concurrency(
    mini_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    calls = []
    real = api.load_model_file

    def slow_load(path: Path) -> intent.IntentModel:
        calls.append(path)
        time.sleep(0.2)  # widen the window in which a second thread could start loading too
        return real(path)

    monkeypatch.setattr(api, "load_model_file", slow_load)
    monkeypatch.setattr(api, "_CACHE", {})
    monkeypatch.setenv("INTENT_MODEL", str(mini_model_path))
    barrier = threading.Barrier(8)

    def call(_: int) -> str:
        barrier.wait()
        return intent.predict("no gracias")

    with ThreadPoolExecutor(max_workers=8) as pool:
        labels = list(pool.map(call, range(8)))
    assert len(set(labels)) == 1 and len(calls) == 1


def test_predict_imports_no_extra_and_no_training_stack(mini_model_path: Path, tmp_path: Path) -> None:
    """`from intent import predict` pays only for what predicting needs (a fresh interpreter)."""
    import subprocess
    import sys

    code = (
        "import sys, intent; intent.predict('hola'); "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'datasets', 'matplotlib', 'fastapi', 'uvicorn', 'starlette', 'python_multipart', 'dask', 'distributed', "
        "'lingua'} or m.startswith(('intent.learn', 'intent.io', 'intent.web')))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, "INTENT_MODEL": str(mini_model_path)},
    )
    assert done.stdout.strip() == ""

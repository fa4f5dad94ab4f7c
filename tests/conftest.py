"""Shared fixtures: the tiny hand-written corpus and a model trained on it.

Hypothesis runs a short, deterministic profile under `make test` ("ci") and a long random
one under `make fuzz` (INTENT_FUZZ=1), which also scales the size-based fault tests up.
"""

from __future__ import annotations

import csv
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from intent.config import LABELS, SAMPLE_EXPORT
from intent.model import IntentModel, Prediction, build_pipeline
from intent.model_io import save_model

FUZZ = os.environ.get("INTENT_FUZZ") == "1"
settings.register_profile(
    "ci", max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("fuzz", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("fuzz" if FUZZ else "ci")

FIXTURES = Path(__file__).parent / "fixtures"
MINI_CORPUS = FIXTURES / "mini_corpus.csv"


def read_mini() -> tuple[list[str], list[str]]:
    with MINI_CORPUS.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"] for r in rows]


@pytest.fixture(scope="session")
def mini_data() -> tuple[list[str], list[str]]:
    return read_mini()


@pytest.fixture(scope="session")
def mini_model(mini_data: tuple[list[str], list[str]]) -> IntentModel:
    texts, labels = mini_data
    pipeline = build_pipeline(C=10.0).fit(texts, labels)
    return IntentModel(pipeline, threshold=0.5, metadata={"name": "mini"})


@pytest.fixture(scope="session")
def mini_model_path(mini_model: IntentModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "mini.joblib"
    save_model(mini_model, path)
    return path


@pytest.fixture
def sample_export_zip(tmp_path: Path) -> Path:
    """The shipped sample export packed as LinkedIn ships it: a .zip with a folder and other files."""
    path = tmp_path / "Basic_LinkedInDataExport_11-27-2026.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in SAMPLE_EXPORT.iterdir():
            zf.write(f, f"Basic_LinkedInDataExport_11-27-2026/{f.name}")
        zf.writestr("Basic_LinkedInDataExport_11-27-2026/Profile.csv", "First Name,Last Name\nLucía,Ferrer\n")
    return path


class StubModel:
    """A model that gives each known text fixed probabilities (LABELS order): for testing policy, not the model.

    A message is uncertain below ``threshold``; a text it was not given raises KeyError.
    """

    def __init__(self, probabilities: dict[str, tuple[float, float, float]], threshold: float = 0.6) -> None:
        self.table, self.threshold = probabilities, threshold

    def with_threshold(self, threshold: float | None) -> StubModel:
        return self if threshold is None else StubModel(self.table, threshold)

    def classify(self, texts: list[str], languages: tuple[str, ...] | None = ("es",)) -> list[Prediction]:
        out = []
        for text in texts:
            if not text.strip():
                out.append(Prediction(label=None, confidence=0.0, uncertain=True, status="empty"))
                continue
            probs = self.table[text]
            best = max(range(len(LABELS)), key=lambda i: probs[i])
            out.append(
                Prediction(
                    label=LABELS[best],
                    confidence=probs[best],
                    probabilities=dict(zip(LABELS, probs, strict=True)),
                    uncertain=probs[best] < self.threshold,
                    language="es",
                )
            )
        return out


@pytest.fixture
def stub_model() -> type[StubModel]:
    return StubModel

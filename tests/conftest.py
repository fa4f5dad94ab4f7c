"""Shared fixtures: the tiny hand-written corpus and a model trained on it, models with fixed
probabilities for testing policy, and every test isolated from the user's INTENT_MODEL.

Hypothesis runs a short, deterministic profile under `make test` ("ci") and a long random
one under `make fuzz` (INTENT_FUZZ=1), which also scales the size-based fault tests up.
"""

from __future__ import annotations

import atexit
import csv
import io
import os
import shutil
import signal
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from tqdm import tqdm

import fixture_cache
from intent.config import LABELS, MODEL_ENV_VAR, SAMPLE_EXPORT
from intent.io.owner import name_key
from intent.learn.personal import PersonalSettings
from intent.model import IntentModel, Prediction, build_pipeline
from intent.model_io import save_model
from intent.text.preprocess import NORMALIZED

# `make mutate` forks this process once per mutant: tqdm's default lock is a semaphore shared
# across forks (a mutant stopped while holding it would block every other), and its monitor
# thread does not survive a fork. In tests, progress bars use a lock of their own process.
tqdm.set_lock(threading.RLock())
tqdm.monitor_interval = 0

FUZZ = os.environ.get("INTENT_FUZZ") == "1"
settings.register_profile(
    "ci", max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("fuzz", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("fuzz" if FUZZ else "ci")

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def _no_model_from_the_environment() -> Iterator[None]:
    """A user's INTENT_MODEL never reaches a test, a fixture or a subprocess they start: a test
    that wants a model names it, or sets the variable itself (with monkeypatch)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(MODEL_ENV_VAR, raising=False)
        yield


MINI_CORPUS = FIXTURES / "mini_corpus.csv"
MINI_CHALLENGE = FIXTURES / "mini_challenge.csv"
#: Messages to Lucía Ferrer (the sample export's owner) written for the personal-model tests, with the label
#: she would give each. ``scope``: she corrects the message (``message``) or its whole conversation
#: (``conversation``): each of those the shipped model gets wrong or is unsure of; ``none``: more of the same
#: tactics that she leaves uncorrected, to see which other rows a personal model relabels.
PERSONAL_INBOX = FIXTURES / "personal_inbox.csv"
#: What a model records of its design when `intent train` made it: enough to refit it (a personal model).
MINI_DESIGN = {
    "design": "words+chars LR",
    "hyperparameters": {
        "drop_stopwords": False,
        "classifier": "logreg",
        "classifier__C": 10.0,
        "features__structure": False,
    },
    "seed": 13,
    "uncertainty": {"threshold": 0.5, "chosen_on": "mini corpus"},
}


def read_mini() -> tuple[list[str], list[str]]:
    with MINI_CORPUS.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"] for r in rows]


@pytest.fixture(scope="session")
def mini_data() -> tuple[list[str], list[str]]:
    return read_mini()


def default_sigint() -> None:
    """For ``subprocess.Popen(preexec_fn=...)``: the child handles Ctrl-C as an interactive one does.

    A shell starts background jobs (``make test &``, nohup, some CI runners) with SIGINT ignored,
    and an ignored signal stays ignored across exec: a test that sends SIGINT to its child would
    then see nothing happen. Its own child is reset to the default, so the test means the same
    wherever pytest runs."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# Trained and saved once per process (fixture_cache says why).
_MINI = fixture_cache.ONCE


@pytest.fixture(scope="session")
def mini_model(mini_data: tuple[list[str], list[str]]) -> IntentModel:
    if "model" not in _MINI:
        texts, labels = mini_data
        pipeline = build_pipeline(C=10.0).fit(texts, labels)
        _MINI["model"] = IntentModel(pipeline, threshold=0.5, metadata={"name": "mini"})
    model: IntentModel = _MINI["model"]
    return model


@pytest.fixture(scope="session")
def mini_model_path(mini_model: IntentModel) -> Path:
    if "path" not in _MINI:
        folder = Path(tempfile.mkdtemp(prefix="intent-mini-model-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        save_model(mini_model, folder / "mini.joblib")
        _MINI["path"] = folder / "mini.joblib"
    path: Path = _MINI["path"]
    return path


@pytest.fixture(scope="session")
def mini_base_path(mini_data: tuple[list[str], list[str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mini model that records its design, as `intent train` models do: personal models are built on it."""
    from sklearn.pipeline import Pipeline

    from intent.learn.designs import recorded
    from intent.text.preprocess import SpacyPreprocessor

    texts, labels = mini_data
    hyper = MINI_DESIGN["hyperparameters"]
    assert isinstance(hyper, dict)
    pipeline = Pipeline(
        [("preprocess", SpacyPreprocessor(drop_stopwords=False)), *recorded("words+chars LR", hyper, 13).steps]
    ).fit(texts, labels)
    path = tmp_path_factory.mktemp("base") / "mini-base.joblib"
    save_model(IntentModel(pipeline, threshold=0.5, metadata={"name": "mini-base", **MINI_DESIGN}), path)
    return path


@pytest.fixture(scope="session")
def mini_personal() -> PersonalSettings:
    """Personal models trained on the mini corpus (seconds, not a minute), scored on the mini challenge set."""
    return PersonalSettings(corpus=(MINI_CORPUS,), held_out=(MINI_CHALLENGE,), folds=3)


@pytest.fixture
def sample_export_zip(tmp_path: Path) -> Path:
    """The shipped sample export packed as LinkedIn ships it: a .zip with a folder and other files."""
    path = tmp_path / "Basic_LinkedInDataExport_11-27-2026.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in SAMPLE_EXPORT.iterdir():
            zf.write(f, f"Basic_LinkedInDataExport_11-27-2026/{f.name}")
        zf.writestr("Basic_LinkedInDataExport_11-27-2026/Profile.csv", "First Name,Last Name\nLucía,Ferrer\n")
    return path


def write_personal_export(path: Path) -> Path:
    """The sample export plus the hand-written messages of PERSONAL_INBOX, as one more zip LinkedIn could send."""
    with PERSONAL_INBOX.open(encoding="utf-8", newline="") as fh:
        inbox = list(csv.DictReader(fh))
    messages = (SAMPLE_EXPORT / "messages.csv").read_text(encoding="utf-8-sig")
    extra = io.StringIO(newline="")
    writer = csv.writer(extra, lineterminator="\n")
    lucia = ("Lucía Ferrer", "https://www.linkedin.com/in/lucia-ferrer-ejemplo")
    for r in inbox:
        profile = "https://www.linkedin.com/in/" + name_key(r["sender"]).replace(" ", "-") + "-ejemplo"
        writer.writerow([r["conversation"], "", r["sender"], profile, *lucia, r["date"], "", r["text"], "INBOX", "No"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Basic_LinkedInDataExport/messages.csv", messages.rstrip("\n") + "\n" + extra.getvalue())
        zf.write(SAMPLE_EXPORT / "Invitations.csv", "Basic_LinkedInDataExport/Invitations.csv")
    return path


@pytest.fixture
def personal_export_zip(tmp_path: Path) -> Path:
    return write_personal_export(tmp_path / "Basic_LinkedInDataExport_12-27-2026.zip")


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


class _TextsAsRows:
    """A preprocess step that passes each text through as its normalized text (column NORMALIZED)."""

    spacy_model = "stub"

    def transform(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), NORMALIZED + 1), dtype=object)
        for i, text in enumerate(texts):
            out[i, :] = text
        return out


class _Identity:
    def transform(self, X: np.ndarray) -> np.ndarray:
        return X


class _FixedClassifier:
    """``predict_proba`` from a table keyed by text, in the column order of ``classes_``."""

    def __init__(self, table: dict[str, tuple[float, float, float]], classes: tuple[str, ...]) -> None:
        self.table, self.classes_ = table, np.array(classes)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        rows = [dict(zip(LABELS, self.table[text], strict=True)) for text in X[:, NORMALIZED]]
        return np.array([[row[c] for c in self.classes_] for row in rows])


def fixed_model(
    table: dict[str, tuple[float, float, float]],
    threshold: float = 0.6,
    classes: tuple[str, ...] = tuple(reversed(LABELS)),
) -> IntentModel:
    """A real `IntentModel` (its policy: labels, confidence, thresholds, statuses) over steps that
    give each known text fixed probabilities (``table`` in LABELS order). The classifier's columns
    come in another order than LABELS by default, as a trained one's may."""
    classifier = _FixedClassifier(table, classes)
    steps = [("preprocess", _TextsAsRows()), ("features", _Identity()), ("classifier", classifier)]
    return IntentModel(steps, threshold=threshold, metadata={"name": "fixed"})

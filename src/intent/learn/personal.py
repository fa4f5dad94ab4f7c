"""A personal model: the shipped corpus plus a user's corrections, fitted once, measured honestly.

`intent train` searches four designs by cross-validation, which takes minutes. A personal
model does not search: it refits the design and settings the base model records (its
``design`` and ``hyperparameters``) on the same corpus ``make train`` uses (``train.csv`` and
the challenge set's ``dev`` split) plus the corrections, each counted as
`PERSONAL_CORRECTION_WEIGHT` corpus messages so that a few dozen of them matter beside
thousands. The base model's uncertainty threshold is kept (choosing a new one needs the
search's out-of-fold predictions).

What changed is measured where it can be trusted: each correction is predicted by a model
trained on the corpus and the *other* corrections (K folds that keep one sender's corrections
together, so the model is never scored on a voice it was taught in that fold), beside the
base model's prediction of the same text; and both models are scored on the held-out sets.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, KFold
from sklearn.pipeline import Pipeline

from intent.config import (
    CHALLENGE_CSV,
    LABELS,
    PERSONAL_CORRECTION_WEIGHT,
    PERSONAL_CV_FOLDS,
    PERSONAL_MIN_CORRECTIONS,
    TEST_CSV,
    TRAIN_CSV,
)
from intent.errors import DataError
from intent.learn.data import load_labeled, select_split, texts_and_labels
from intent.learn.designs import recorded
from intent.learn.training import describe_source, library_versions, write_artifacts
from intent.model import IntentModel
from intent.model_io import save_model
from intent.report.evaluation import evaluate_dataset
from intent.report.metrics import evaluate
from intent.text.nlp import describe
from intent.text.preprocess import SpacyPreprocessor

#: The stages `train_personal` reports progress for, in order.
STAGES = ("corpus", "preprocess", "cross_validation", "final", "held_out")

#: ``progress(stage, fraction of that stage done)``.
Progress = Callable[[str, float], None]


class TooFewCorrections(DataError):
    """Fewer corrections than a personal model needs."""


@dataclass(frozen=True)
class Example:
    """One correction: the text the model learns from, its right label, and who wrote it.

    ``group`` keeps one writer's corrections in the same fold (a salesperson's three messages
    are one voice: scoring one of them with the others taught would flatter the model).
    """

    text: str
    label: str
    group: str


@dataclass(frozen=True)
class PersonalSettings:
    """How a personal model is trained.

    ``corpus``: labeled CSVs it is trained on; a file with a ``split`` column gives its ``dev``
    rows only (its ``test`` rows are held out). ``held_out``: sets both models are scored on; a
    file with a ``split`` column gives its ``test`` rows. ``jobs``: folds fitted in parallel.
    """

    corpus: tuple[Path, ...] = (TRAIN_CSV, CHALLENGE_CSV)
    held_out: tuple[Path, ...] = (TEST_CSV, CHALLENGE_CSV)
    weight: float = PERSONAL_CORRECTION_WEIGHT
    folds: int = PERSONAL_CV_FOLDS
    min_corrections: int = PERSONAL_MIN_CORRECTIONS
    jobs: int = 1


@dataclass
class PersonalModel:
    """The fitted model and its figures (``metadata["personal"]``); `save` writes it."""

    model: IntentModel
    evaluation: dict[str, Any] | None = field(default=None, repr=False)  # the first held-out set's, for the card

    @property
    def figures(self) -> dict[str, Any]:
        return dict(self.model.metadata["personal"])


def check_examples(examples: Sequence[Example], settings: PersonalSettings) -> None:
    """Refuse too few corrections, or labels that are not intent's, before anything is loaded."""
    unknown = sorted({e.label for e in examples} - set(LABELS))
    if unknown:
        raise DataError(f"unknown label(s) {unknown}; use {', '.join(LABELS)}.")
    if len(examples) < settings.min_corrections:
        raise TooFewCorrections(
            f"{len(examples)} correction(s); a personal model needs at least {settings.min_corrections}. With fewer, "
            "the before/after figure rests on a handful of messages, and they barely move a model trained on "
            "thousands. Fix: correct more messages (those marked doubtful are a good start)."
        )


def _load_corpus(paths: Sequence[Path]) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    texts: list[str] = []
    labels: list[str] = []
    described: list[dict[str, Any]] = []
    for path in paths:
        if not path.is_file():
            raise DataError(
                f"the corpus file {path.name} is missing from this installation, so a personal model cannot be "
                "trained here. Fix: reinstall intent (its package carries the corpus)."
            )
        ds = load_labeled(path)
        if "split" in ds.column_names:
            ds = select_split(ds, "dev", path)
        t, y = texts_and_labels(ds)
        texts += t
        labels += y
        described.append({**describe_source(path), "n": len(t)})
    return texts, labels, described


def _held_out(paths: Sequence[Path]) -> dict[str, Any]:
    """``{key: dataset}`` as `intent train` names them: ``test`` for test.csv, ``challenge_test`` for its split."""
    out = {}
    for path in paths:
        if not path.is_file():
            continue
        ds = load_labeled(path)
        if "split" in ds.column_names:
            out[f"{path.stem}_test"] = (select_split(ds, "test", path), path)
        else:
            out[path.stem] = (ds, path)
    return out


def _folds(examples: Sequence[Example], folds: int, seed: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """K folds over the corrections, one writer's corrections together when there are writers enough."""
    groups = [e.group for e in examples]
    n_groups = len(set(groups))
    index = np.arange(len(examples))
    if n_groups >= 2:
        k = min(folds, n_groups)
        return list(GroupKFold(n_splits=k).split(index, groups=groups)), "sender"
    k = min(folds, len(examples))
    return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(index)), "message"


def _fit(
    downstream: Pipeline, X: np.ndarray, y: list[str], extra: np.ndarray, extra_y: list[str], weight: float
) -> Pipeline:
    """The downstream pipeline fitted on the corpus plus extra rows weighing ``weight`` each."""
    est = clone(downstream)
    sample_weight = np.concatenate([np.ones(len(X)), np.full(len(extra), weight)])
    est.fit(np.concatenate([X, extra]), y + extra_y, classifier__sample_weight=sample_weight)
    return est


def _fold_predictions(
    downstream: Pipeline,
    X: np.ndarray,
    y: list[str],
    E: np.ndarray,
    e_labels: list[str],
    fold: tuple[np.ndarray, np.ndarray],
    weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The held-out corrections' probabilities (LABELS order) from a model fitted without them."""
    train, held = fold
    est = _fit(downstream, X, y, E[train], [e_labels[i] for i in train], weight)
    order = [list(est.classes_).index(label) for label in LABELS]
    return held, np.asarray(est.predict_proba(E[held]))[:, order]


def train_personal(
    examples: Sequence[Example],
    base: IntentModel,
    settings: PersonalSettings | None = None,
    progress: Progress | None = None,
    base_sha256: str | None = None,
) -> PersonalModel:
    """Fit a personal model from BASE's recorded design on the corpus plus EXAMPLES, and measure it.

    ``base_sha256``: the base model file's checksum, recorded so the personal model names what it came from.
    """
    settings = settings or PersonalSettings()
    report: Progress = progress or (lambda stage, fraction: None)
    check_examples(examples, settings)
    started = time.perf_counter()
    meta = base.metadata
    if not meta.get("design") or "hyperparameters" not in meta:
        raise DataError(
            f"the model {meta.get('name', '')!r} does not record its design and settings, so a personal model cannot "
            "be built from it. Fix: start intent serve with the shipped model or one trained by `intent train`."
        )
    seed = int(meta.get("seed", 13))
    hyper = dict(meta["hyperparameters"])
    downstream = recorded(str(meta["design"]), hyper, seed)

    report("corpus", 0.0)
    texts, labels, sources = _load_corpus(settings.corpus)
    held_out = _held_out(settings.held_out)
    report("corpus", 1.0)

    report("preprocess", 0.0)
    pre = SpacyPreprocessor(spacy_model=base.spacy_model, drop_stopwords=bool(hyper.get("drop_stopwords", False)))
    pre.fit(texts)
    X = pre.transform(texts)
    e_texts = [e.text for e in examples]
    e_labels = [e.label for e in examples]
    E = pre.transform(e_texts)
    report("preprocess", 1.0)

    report("cross_validation", 0.0)
    folds, grouped_by = _folds(examples, settings.folds, seed)
    cv_proba = np.zeros((len(examples), len(LABELS)))
    runs = Parallel(n_jobs=settings.jobs, return_as="generator")(
        delayed(_fold_predictions)(downstream, X, labels, E, e_labels, fold, settings.weight) for fold in folds
    )
    for done, (held, proba) in enumerate(runs, start=1):
        cv_proba[held] = proba
        report("cross_validation", done / len(folds))
    cv_pred = [LABELS[i] for i in cv_proba.argmax(axis=1)]
    # "sure": confident enough not to be flagged uncertain (the threshold is the base model's, kept)
    cv_sure = [bool(p.max() >= base.threshold) for p in cv_proba]
    base_results = base.classify(e_texts, None)
    base_pred = [str(r.label) for r in base_results]
    base_sure = [not r.uncertain for r in base_results]

    report("final", 0.0)
    fitted = _fit(downstream, X, labels, E, e_labels, settings.weight)
    pipeline = Pipeline([("preprocess", pre), *fitted.steps])
    report("final", 1.0)

    personal: dict[str, Any] = {
        "base": {"name": meta.get("name"), "sha256": base_sha256 or meta.get("model_sha256")},
        "corrections": len(examples),
        "counts": {label: e_labels.count(label) for label in LABELS},
        "weight": settings.weight,
        "folds": len(folds),
        "grouped_by": grouped_by,
        "base_right": sum(p == y for p, y in zip(base_pred, e_labels, strict=True)),
        "personal_right": sum(p == y for p, y in zip(cv_pred, e_labels, strict=True)),
        "base_sure_right": sum(p == y and s for p, y, s in zip(base_pred, e_labels, base_sure, strict=True)),
        "personal_sure_right": sum(p == y and s for p, y, s in zip(cv_pred, e_labels, cv_sure, strict=True)),
        "per_correction": [
            {
                "label": y,
                "base": b,
                "base_sure": bs,
                "personal": p,
                "personal_sure": ps,
                "personal_p": round(float(cv_proba[i, LABELS.index(y)]), 4),  # out-of-fold probability of its label
            }
            for i, (y, b, bs, p, ps) in enumerate(zip(e_labels, base_pred, base_sure, cv_pred, cv_sure, strict=True))
        ],
        "held_out": {},
    }
    counts = Counter(labels + e_labels)
    unc = dict(meta.get("uncertainty") or {"threshold": base.threshold})
    unc["chosen_on"] = f"kept from {meta.get('name', 'the base model')}: {unc.get('chosen_on', 'its own training')}"
    metadata: dict[str, Any] = {
        "name": "intent-personal",
        "labels": list(LABELS),
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": library_versions(),
        "spacy_pipeline": describe(base.spacy_model),
        "data": {
            "train": sources,
            "train_counts": {label: counts[label] for label in LABELS},
            "corrections": {"n": len(examples), "weight": settings.weight},
        },
        "design": meta["design"],
        "hyperparameters": hyper,
        "seed": seed,
        "cv": {"folds": len(folds), "grouped_by": grouped_by, "on": "the corrections"},
        "uncertainty": unc,
        "personal": personal,
    }
    model = IntentModel(pipeline, threshold=base.threshold, metadata=metadata)

    report("held_out", 0.0)
    evaluation = None
    for n, (key, (ds, path)) in enumerate(held_out.items(), start=1):
        result = evaluate_dataset(model, ds)
        evaluation = evaluation or result
        h_texts, h_labels = texts_and_labels(ds)
        base_scores = evaluate(h_labels, base.predict(h_texts))
        metadata["data"][key] = {**describe_source(path), "n": len(h_texts)}
        metadata[key] = {
            "model": {k: result[k] for k in ("n", "accuracy", "macro_f1", "per_label", "confusion_matrix")},
            "base_model": {k: base_scores[k] for k in ("accuracy", "macro_f1", "per_label")},
            "abstention": result["abstention"],
        }
        personal["held_out"][key] = {
            "n": len(h_texts),
            "base_macro_f1": base_scores["macro_f1"],
            "personal_macro_f1": result["macro_f1"],
        }
        report("held_out", n / len(held_out))
    report("held_out", 1.0)
    metadata["train_seconds"] = round(time.perf_counter() - started, 2)
    model.metadata = metadata  # the model keeps a copy of what it was given: now with the held-out scores
    return PersonalModel(model, evaluation)


def new_model_path(folder: Path, now: dt.datetime | None = None) -> Path:
    """A file name in FOLDER that names when it was trained and replaces no earlier personal model."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    path = folder / f"intent-personal-{stamp}.joblib"
    n = 2
    while path.exists() or path.with_suffix(".json").exists():
        path = folder / f"intent-personal-{stamp}-{n}.joblib"
        n += 1
    return path


def save(personal: PersonalModel, folder: Path) -> dict[str, Any]:
    """Write the model, its .json and its model card into FOLDER (created private); return the metadata."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not os.access(folder, os.W_OK):
        raise DataError(f"cannot write to {folder}. Fix: choose a folder you can write to.")
    path = new_model_path(folder)
    personal.model.metadata["name"] = path.stem
    meta = save_model(personal.model, path)
    card = write_artifacts(meta, personal.evaluation, path)
    return {**meta, "model_path": str(path), "card_path": str(card)}

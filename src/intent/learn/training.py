"""Training: cross-validated model selection, the abstention threshold, the test report, and
the baselines measured in the same run. `train.py` and `intent train` both call `run`."""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from intent.config import (
    DEFAULT_MODEL_OUTPUT,
    DEFAULT_SPACY_MODEL,
    LABELS,
    MODEL_NAME,
    RANDOM_SEED,
    REPORTS_DIR,
    TEST_CSV,
    TRAIN_CSV,
)
from intent.errors import DataError
from intent.learn.baselines import sklearn_baselines, textcat_baseline, throughput
from intent.learn.data import HFSource, Source, load_labeled, load_source, texts_and_labels
from intent.learn.review import label_issues
from intent.model import IntentModel, build_classifier, build_pipeline
from intent.model_io import save_model
from intent.report.evaluation import evaluate_dataset
from intent.report.files import plot_confusion_matrix, write_model_card, write_report
from intent.report.metrics import choose_threshold
from intent.text.nlp import describe
from intent.text.preprocess import SpacyPreprocessor


@dataclass
class TrainSettings:
    """Everything `run` needs; defaults reproduce the shipped model.

    Attributes
    ----------
    train_sources: CSV files or saved datasets with ``text`` and ``label`` columns.
    test_source: held-out data for the report (None: cross-validation only).
    output: where the model is written; its metadata goes beside it as ``.json``.
    spacy_model: ``"blank:es"`` or an installed ``es_core_news_*`` pipeline.
    cv_folds: folds for model selection and for the out-of-fold threshold.
    target_precision: precision confident predictions must reach (sets ``uncertain``).
    seed: one seed for every random choice, so two runs give the same model.
    n_jobs: parallel fits during the search.
    textcat_epochs: epochs for the spaCy textcat baseline (0: skip it).
    report_dir: where the evaluation report folder goes (None: no report).
    fail_on_label_issues: stop before saving when the label audit flags rows.
    quiet: no progress lines on stderr.
    """

    train_sources: list[Source] = field(default_factory=lambda: [TRAIN_CSV])
    test_source: Path | None = TEST_CSV
    output: Path = DEFAULT_MODEL_OUTPUT
    spacy_model: str = DEFAULT_SPACY_MODEL
    cv_folds: int = 5
    target_precision: float = 0.97
    seed: int = RANDOM_SEED
    n_jobs: int = 2
    textcat_epochs: int = 5
    report_dir: Path | None = REPORTS_DIR
    fail_on_label_issues: bool = False
    quiet: bool = False

    def __post_init__(self) -> None:
        if not self.train_sources:
            raise DataError("no training data given. Fix: pass --data FILE (or use the shipped corpus).")
        if self.cv_folds < 2:
            raise DataError(f"cv_folds must be at least 2, got {self.cv_folds}")
        if not 0.0 < self.target_precision <= 1.0:
            raise DataError(f"target_precision must be in (0, 1], got {self.target_precision}")


#: Preprocessing settings compared by cross-validation (each runs spaCy once over the data).
PREPROCESS_GRID: tuple[dict[str, Any], ...] = ({"drop_stopwords": False}, {"drop_stopwords": True})


def search_space(seed: int) -> list[dict[str, list[Any]]]:
    """Candidate settings for the features and classifier, compared by cross-validated macro-F1."""
    chars = [(2, 5), (1, 4)]
    return [
        {
            "classifier": [build_classifier("logreg", seed=seed)],
            "classifier__C": [30.0, 100.0, 300.0],
            "features__char_ngram_range": chars,
        },
        {
            "classifier": [build_classifier("svm", seed=seed)],
            "classifier__estimator__C": [0.1, 0.3, 1.0],
            "features__char_ngram_range": chars,
        },
    ]


def _log(settings: TrainSettings, message: str) -> None:
    if not settings.quiet:
        print(message, file=sys.stderr, flush=True)


def _sha256_of_source(source: Source) -> str:
    if isinstance(source, HFSource):
        path = Path(source.name)
        if not path.exists():
            return f"hub:{source.name}"  # a Hub dataset: identified by name (its revision is the Hub's)
    else:
        path = source
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    names = ["intent", "spacy", "spacy-lookups-data", "scikit-learn", "numpy", "joblib", "datasets"]
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _load(sources: list[Source]) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for source in sources:
        t, y = texts_and_labels(load_source(source))
        texts += t
        labels += y
    missing = [label for label in LABELS if label not in labels]
    if missing:
        raise DataError(f"the training data has no example of {', '.join(missing)}; every label needs some.")
    return texts, labels


def run(settings: TrainSettings) -> dict[str, Any]:
    """Train, select, evaluate and save; return the metadata written beside the model."""
    started = time.perf_counter()
    texts, labels = _load(settings.train_sources)
    counts = {label: labels.count(label) for label in LABELS}
    smallest = min(counts.values())
    if smallest < settings.cv_folds:
        raise DataError(
            f"each label needs at least {settings.cv_folds} examples for {settings.cv_folds}-fold "
            f"cross-validation; counts: {counts}. Fix: add examples or lower --cv-folds."
        )
    _log(settings, f"[1/5] loaded {len(texts)} training messages {counts}")

    template = build_pipeline(spacy_model=settings.spacy_model, seed=settings.seed)
    downstream = Pipeline(template.steps[1:])
    cv = StratifiedKFold(n_splits=settings.cv_folds, shuffle=True, random_state=settings.seed)
    # Preprocessing is stateless, so it runs once per setting rather than once per fit.
    best: tuple[float, SpacyPreprocessor, GridSearchCV, np.ndarray] | None = None
    t0 = time.perf_counter()
    n_settings = 0
    for pre_params in PREPROCESS_GRID:
        pre = SpacyPreprocessor(spacy_model=settings.spacy_model, **pre_params).fit(texts)
        X_pre = pre.transform(texts)
        search = GridSearchCV(
            downstream, search_space(settings.seed), scoring="f1_macro", cv=cv, n_jobs=settings.n_jobs
        )
        search.fit(X_pre, labels)
        n_settings += len(search.cv_results_["params"])
        if best is None or search.best_score_ > best[0]:
            best = (float(search.best_score_), pre, search, X_pre)
    assert best is not None
    _, pre, search, X = best
    best_index = int(search.best_index_)
    cv_scores = [float(search.cv_results_[f"split{k}_test_score"][best_index]) for k in range(settings.cv_folds)]
    _log(
        settings,
        f"[2/5] model selection over {n_settings} settings x {settings.cv_folds} folds "
        f"(spaCy pipeline {settings.spacy_model}): {time.perf_counter() - t0:.0f}s, best CV macro-F1 "
        f"{search.best_score_:.3f}",
    )

    oof = cross_val_predict(search.best_estimator_, X, labels, cv=cv, method="predict_proba", n_jobs=settings.n_jobs)
    classes = list(search.best_estimator_.classes_)
    oof = oof[:, [classes.index(label) for label in LABELS]]
    threshold = choose_threshold(oof, labels, settings.target_precision)
    issues = label_issues(oof, labels)
    audit_file = _write_label_issues(issues, texts, settings)
    _log(
        settings,
        f"      label audit: {len(issues)} row(s) whose label the cross-validated model doubts"
        + (f" (listed in {audit_file})" if audit_file else "")
        + "".join(
            f"\n        row {i['row']}: given {i['given']}, suggested {i['suggested']} "
            f"(p={i['p_given']:.2f} vs {i['p_suggested']:.2f})"
            for i in issues[:5]
        ),
    )
    if issues and settings.fail_on_label_issues:
        raise DataError(
            f"the label audit flagged {len(issues)} row(s)"
            + (f", listed in {audit_file}" if audit_file else "")
            + ". Fix: check those labels, or train without --fail-on-label-issues."
        )
    _log(
        settings,
        f"[3/5] uncertain below confidence {threshold['threshold']:.3f}: confident predictions "
        f"{threshold['precision']:.1%} precise on {threshold['coverage']:.1%} of messages (out-of-fold)",
    )

    pipeline = Pipeline([("preprocess", pre), *search.best_estimator_.steps])
    train_seconds = round(time.perf_counter() - started, 2)
    metadata: dict[str, Any] = {
        "name": settings.output.stem,
        "labels": list(LABELS),
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "train_seconds": train_seconds,
        "versions": _versions(),
        "spacy_pipeline": describe(settings.spacy_model),
        "data": {
            "train": [{"source": str(s), "sha256": _sha256_of_source(s)} for s in settings.train_sources],
            "train_counts": counts,
        },
        "hyperparameters": {"drop_stopwords": pre.drop_stopwords, **_readable_params(search.best_params_)},
        "seed": settings.seed,
        "cv": {
            "folds": settings.cv_folds,
            "macro_f1_mean": float(np.mean(cv_scores)),
            "macro_f1_std": float(np.std(cv_scores)),
        },
        "uncertainty": threshold,
        "label_audit": {"flagged": len(issues)},
    }
    model = IntentModel(pipeline, threshold=threshold["threshold"], metadata=metadata)
    evaluation = None
    if settings.test_source is not None:
        test = load_labeled(settings.test_source)
        test_texts, test_labels = texts_and_labels(test)
        metadata["data"]["test"] = {
            "source": str(settings.test_source),
            "sha256": _sha256_of_source(settings.test_source),
            "n": len(test_texts),
        }
        t0 = time.perf_counter()
        evaluation = evaluate_dataset(model, test)
        scores = {k: evaluation[k] for k in ("n", "accuracy", "macro_f1", "per_label", "confusion_matrix")}
        metadata["test"] = {
            "model": {
                **scores,
                "train_seconds": train_seconds,
                "messages_per_second": throughput(model.predict, test_texts),
            },
            **sklearn_baselines(texts, labels, test_texts, test_labels, settings.seed),
        }
        if settings.textcat_epochs > 0:
            metadata["test"]["spacy_textcat"] = textcat_baseline(
                texts, labels, test_texts, test_labels, settings.textcat_epochs
            )
        metadata["test"]["robustness"] = evaluation["robustness"]
        metadata["test"]["calibration"] = {k: evaluation["calibration"][k] for k in ("brier", "ece")}
        _log(settings, f"[4/5] test set and baselines: {time.perf_counter() - t0:.0f}s")
    model.metadata = metadata
    saved = save_model(model, settings.output)
    card = write_artifacts(saved, evaluation, settings)
    _log(settings, f"[5/5] wrote {settings.output} ({saved['model_bytes'] / 1e6:.1f} MB), its .json and {card}")
    return saved


def _write_label_issues(issues: list[dict[str, Any]], texts: list[str], settings: TrainSettings) -> Path | None:
    """The audit's rows (with their text: a file on the user's machine, never a log)."""
    if settings.report_dir is None:
        return None
    import csv

    folder = settings.report_dir / settings.output.stem
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "label_issues.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["row", "given", "suggested", "p_given", "p_suggested", "text"])
        for i in issues:
            writer.writerow(
                [
                    i["row"],
                    i["given"],
                    i["suggested"],
                    f"{i['p_given']:.3f}",
                    f"{i['p_suggested']:.3f}",
                    texts[i["row"] - 1],
                ]
            )
    return path


def write_artifacts(meta: dict[str, Any], evaluation: dict[str, Any] | None, settings: TrainSettings) -> Path:
    """The model card and confusion matrix beside the model; the full report in reports/<name>/."""
    stem = settings.output.stem
    folder = settings.output.parent
    card = folder / ("MODEL_CARD.md" if stem == MODEL_NAME else f"{stem}.MODEL_CARD.md")
    if evaluation is not None:
        plot_confusion_matrix(
            evaluation["confusion_matrix"],
            folder / f"{stem}.confusion_matrix.png",
            title=f"Test set (n={evaluation['n']})",
        )
        if settings.report_dir is not None:
            write_report(evaluation, settings.report_dir / stem, str(settings.test_source), stem)
    write_model_card(meta, evaluation, card, image=f"{stem}.confusion_matrix.png")
    return card


def _readable_params(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key == "classifier":
            out["classifier"] = "logreg" if isinstance(value, LogisticRegression) else "svm"
        else:
            out[key] = list(value) if isinstance(value, tuple) else value
    return out


def format_report(meta: dict[str, Any]) -> str:
    """A short plain-text report: CV score, then test scores beside the baselines."""
    unc, cv = meta["uncertainty"], meta["cv"]
    lines = [
        f"model: {meta['model_file']}  ({meta['model_bytes'] / 1e6:.1f} MB, trained in {meta['train_seconds']:.0f}s)",
        f"settings: {meta['hyperparameters']}",
        f"cross-validation macro-F1: {cv['macro_f1_mean']:.3f} ± {cv['macro_f1_std']:.3f}",
        f"uncertain below {unc['threshold']:.3f} "
        f"(confident: {unc['precision']:.1%} precision, {unc['coverage']:.1%} coverage)",
    ]
    test = meta.get("test")
    if test:
        header = (
            f"{'test set (n=' + str(test['model']['n']) + ')':<26}{'macro-F1':>9}"
            + "".join(f"{label:>23}" for label in LABELS)
            + f"{'train s':>9}{'msg/s':>9}"
        )
        lines += ["", header]
        names = {
            "model": "intent (spaCy + TF-IDF)",
            "tfidf_logreg_no_spacy": "TF-IDF + LR, no spaCy",
            "spacy_textcat": "spaCy textcat",
            "majority_class": "majority class",
        }
        for key, name in names.items():
            if key not in test:
                continue
            row = test[key]
            lines.append(
                f"{name:<26}{row['macro_f1']:>9.3f}"
                + "".join(f"{row['per_label'][label]['f1']:>23.3f}" for label in LABELS)
                + f"{row.get('train_seconds', float('nan')):>9.1f}{row.get('messages_per_second', float('nan')):>9.0f}"
            )
        rob = test.get("robustness")
        if rob:
            lines.append(
                f"robustness: accents stripped {rob['accents_stripped']:.3f}, lowercased {rob['lowercased']:.3f} "
                f"(as written {rob['original']:.3f})"
            )
    return "\n".join(lines)

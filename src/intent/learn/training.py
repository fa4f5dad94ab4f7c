"""Training: cross-validated model selection, the abstention threshold, the test report, and
the baselines measured in the same run. `train.py` and `intent train` both call `run`."""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from intent.config import (
    CHALLENGE_CSV,
    DEFAULT_MODEL_OUTPUT,
    DEFAULT_SPACY_MODEL,
    LABELS,
    MODEL_NAME,
    RANDOM_SEED,
    REPORTS_DIR,
    SHIPPED_DATA,
    TEST_CSV,
    TRAIN_CSV,
)
from intent.errors import DataError
from intent.io.csv_io import CsvWriter, atomic_output
from intent.learn.baselines import fit_textcat, score_textcat, sklearn_baselines, throughput
from intent.learn.data import (
    HFSource,
    Source,
    column_or_blank,
    load_labeled,
    load_source,
    select_split,
    texts_and_labels,
)
from intent.learn.designs import designs, downstream, readable
from intent.learn.review import label_issues
from intent.model import IntentModel
from intent.model_io import metadata_path, save_model
from intent.report.evaluation import evaluate_dataset, percent
from intent.report.files import images_available, plot_confusion_matrix, write_model_card, write_report
from intent.report.metrics import choose_threshold, evaluate
from intent.text.nlp import describe
from intent.text.preprocess import SpacyPreprocessor


@dataclass
class TrainSettings:
    """Everything `run` needs; defaults reproduce the shipped model.

    Attributes
    ----------
    train_sources: CSV files (any file `intent classify` reads, with a label column), saved
        datasets or Hub datasets.
    test_source: held-out data for the report (None: none).
    challenge_source: the challenge set (columns ``split`` and ``phenomenon``): its ``dev`` rows join
        the training data and choose the design and the threshold; its ``test`` rows are only
        reported. None: no challenge set.
    use_challenge_dev: train on the challenge set's dev rows (with the shipped corpus).
    output: where the model is written; its metadata goes beside it as ``.json``.
    spacy_model: ``"blank:es"`` or an installed ``es_core_news_*`` pipeline.
    cv_folds: folds for model selection and for the out-of-fold threshold.
    target_precision: precision confident predictions must reach (sets ``uncertain``).
    seed: one seed for every random choice, so two runs give the same model.
    n_jobs: parallel fits during the search.
    textcat_epochs: epochs for the spaCy textcat baseline (0: skip it).
    report_dir: where the evaluation report folders go (None: no report).
    fail_on_label_issues: stop before saving when the label audit flags rows.
    designs: names of the designs to compare (None: all of `intent.learn.designs`).
    quiet: no progress lines on stderr.
    text_column, label_column: the columns of the user's files (None: found by name); the shipped
        corpus files (`SHIPPED_DATA`) are always read with their own.
    on_bad_lines: ``error`` stops at a malformed CSV row, ``skip`` skips it (as `intent classify`).
    force: replace an existing model file and report folder (otherwise refused before training).
    """

    train_sources: list[Source] = field(default_factory=lambda: [TRAIN_CSV])
    test_source: Path | None = TEST_CSV
    challenge_source: Path | None = CHALLENGE_CSV
    use_challenge_dev: bool = True
    output: Path = DEFAULT_MODEL_OUTPUT
    spacy_model: str = DEFAULT_SPACY_MODEL
    cv_folds: int = 5
    target_precision: float = 0.97
    seed: int = RANDOM_SEED
    n_jobs: int = 2
    textcat_epochs: int = 5
    report_dir: Path | None = REPORTS_DIR
    fail_on_label_issues: bool = False
    designs: tuple[str, ...] | None = None
    quiet: bool = False
    text_column: str | None = None
    label_column: str | None = None
    on_bad_lines: str = "error"
    force: bool = False

    def __post_init__(self) -> None:
        if not self.train_sources:
            raise DataError("no training data given. Fix: pass --data FILE (or use the shipped corpus).")
        if self.cv_folds < 2:
            raise DataError(f"cv_folds must be at least 2, got {self.cv_folds}")
        if not 0.0 < self.target_precision <= 1.0:
            raise DataError(f"target_precision must be in (0, 1], got {self.target_precision}")


def _columns(settings: TrainSettings, source: Source) -> dict[str, Any]:
    """How to read one source: the user's column names apply to the user's files only."""
    if isinstance(source, Path) and source in SHIPPED_DATA:
        return {}
    return {
        "text_column": settings.text_column,
        "label_column": settings.label_column,
        "on_bad_lines": settings.on_bad_lines,
    }


def report_folder(settings: TrainSettings) -> Path | None:
    """The folder of this run's reports: REPORT_DIR/<model name>/."""
    return None if settings.report_dir is None else settings.report_dir / settings.output.stem


def check_outputs(settings: TrainSettings) -> None:
    """Refuse, before any work, to replace a model or a report folder unless ``force``."""
    if settings.force:
        return
    folder = report_folder(settings)
    for path in (settings.output, metadata_path(settings.output), folder):
        if path is not None and path.exists():
            raise DataError(
                f"{path} already exists. Fix: pass --force to replace it, or choose another "
                + ("--reports-dir DIR." if path == folder else "-o/--output PATH.")
            )


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
    if not path.exists():
        return "unavailable"  # stdin or a glob: read once, not hashable again
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def describe_source(source: Source) -> dict[str, str]:
    """A data file as the model's metadata records it: its name and hash, never the folder it was in."""
    name = str(source) if isinstance(source, HFSource) and not Path(source.name).exists() else Path(str(source)).name
    if isinstance(source, HFSource) and Path(source.name).exists():
        name = f"{Path(source.name).name}[{source.split}]"
    return {"source": name, "sha256": _sha256_of_source(source)}


def library_versions() -> dict[str, str]:
    names = ["intent", "spacy", "spacy-lookups-data", "scikit-learn", "numpy", "joblib", "datasets"]
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass
class _Labeled:
    """Messages with their labels, phenomenon (blank where the data has none) and writer.

    The writer is the ``source`` column when the data has one (the corpus records which writer
    produced each message), else the file the rows came from.
    """

    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    phenomena: list[str] = field(default_factory=list)
    writers: list[str] = field(default_factory=list)

    def extend(self, ds: Any, name: str) -> None:
        texts, labels = texts_and_labels(ds)
        self.texts += texts
        self.labels += labels
        self.phenomena += column_or_blank(ds, "phenomenon")
        self.writers += [w or name for w in column_or_blank(ds, "source")]


def _load(settings: TrainSettings) -> _Labeled:
    data = _Labeled()
    notes: list[str] = []
    for source in settings.train_sources:
        data.extend(load_source(source, **_columns(settings, source), notes=notes), str(source))
    for note in notes:
        _log(settings, f"      {note}")
    missing = [label for label in LABELS if label not in data.labels]
    if missing:
        raise DataError(f"the training data has no example of {', '.join(missing)}; every label needs some.")
    return data


def _search_designs(
    settings: TrainSettings, X: np.ndarray, labels: list[str], cv: Any, groups: list[str] | None, cache: str
) -> list[dict[str, Any]]:
    """Every design's grid on the same folds; returns one entry per design with its best setting."""
    wanted = settings.designs
    chosen = [d for d in designs(settings.seed) if wanted is None or d.name in wanted]
    if not chosen:
        raise DataError(f"no design called {', '.join(wanted or ())}; choose among {[d.name for d in designs(0)]}")
    out = []
    for design in chosen:
        pipe = downstream(settings.seed)
        pipe.memory = cache  # features fitted once per fold and setting, shared by every classifier
        search = GridSearchCV(pipe, design.grid, scoring="f1_macro", cv=cv, n_jobs=settings.n_jobs)
        search.fit(X, labels, groups=groups)
        i = int(search.best_index_)
        folds = [float(search.cv_results_[f"split{k}_test_score"][i]) for k in range(cv.get_n_splits())]
        out.append(
            {
                "design": design,
                "search": search,
                "cv_macro_f1": float(np.mean(folds)),
                "cv_macro_f1_std": float(np.std(folds)),
                "params": readable(search.best_params_),
            }
        )
        _log(settings, f"      {design.name:<32} CV macro-F1 {np.mean(folds):.3f} with {readable(search.best_params_)}")
    return out


def run(settings: TrainSettings) -> dict[str, Any]:
    """Train, select, evaluate and save; return the metadata written beside the model."""
    check_outputs(settings)
    started = time.perf_counter()
    train = _load(settings)
    n_train = len(train.texts)
    challenge_dev = challenge_test = None
    if settings.challenge_source is not None and settings.challenge_source.exists():
        challenge = load_labeled(settings.challenge_source)
        challenge_test = select_split(challenge, "test", settings.challenge_source)
        if settings.use_challenge_dev:
            challenge_dev = select_split(challenge, "dev", settings.challenge_source)
            train.extend(challenge_dev, str(settings.challenge_source))
    texts, labels = train.texts, train.labels
    counts = {label: labels.count(label) for label in LABELS}
    smallest = min(counts.values())
    if smallest < settings.cv_folds:
        raise DataError(
            f"each label needs at least {settings.cv_folds} examples for {settings.cv_folds}-fold "
            f"cross-validation; counts: {counts}. Fix: add examples or lower --cv-folds."
        )
    n_dev = len(texts) - n_train
    _log(
        settings,
        f"[1/5] loaded {len(texts)} training messages {counts}"
        + (f", of which {n_dev} from the challenge set's dev split" if n_dev else ""),
    )

    # Folds hold out whole writers when the data says who wrote what: the model is then always
    # scored on a voice it has not seen, as it will be on people's real messages. Row-level folds
    # would score it on siblings of its training messages and flatter it.
    writers = train.writers
    grouped = len(set(writers)) >= settings.cv_folds
    cv: Any = (
        StratifiedGroupKFold(n_splits=settings.cv_folds, shuffle=True, random_state=settings.seed)
        if grouped
        else StratifiedKFold(n_splits=settings.cv_folds, shuffle=True, random_state=settings.seed)
    )
    groups = writers if grouped else None
    t0 = time.perf_counter()
    # Preprocessing is stateless: spaCy runs once over the data, not once per fit.
    pre = SpacyPreprocessor(spacy_model=settings.spacy_model, drop_stopwords=False).fit(texts)
    X = pre.transform(texts)
    with tempfile.TemporaryDirectory(prefix="intent-train-cache-") as cache:
        candidates = _search_designs(settings, X, labels, cv, groups, cache)
    best = max(candidates, key=lambda c: c["cv_macro_f1"])
    search = best["search"]
    n_settings = sum(len(c["search"].cv_results_["params"]) for c in candidates)
    _log(
        settings,
        f"[2/5] model selection over {len(candidates)} designs, {n_settings} settings x {settings.cv_folds} folds"
        f"{' holding out whole writers' if grouped else ''} "
        f"(spaCy pipeline {settings.spacy_model}): {time.perf_counter() - t0:.0f}s; best: {best['design'].name}, "
        f"CV macro-F1 {best['cv_macro_f1']:.3f}",
    )

    oof = cross_val_predict(
        search.best_estimator_, X, labels, cv=cv, groups=groups, method="predict_proba", n_jobs=settings.n_jobs
    )
    classes = list(search.best_estimator_.classes_)
    oof = oof[:, [classes.index(label) for label in LABELS]]
    # The threshold is chosen where messages are hard and written by voices the model has not seen:
    # the challenge set's dev rows, out-of-fold (their writers are held out by the grouped folds).
    # Without a challenge set, the corpus's tagged hard cases; without those, every row. On easy
    # rows almost everything is right, which sets a threshold too low to flag the errors that
    # happen off the beaten path.
    dev_rows = list(range(n_train, len(texts)))
    hard = [i for i, p in enumerate(train.phenomena) if p and p != "plain"]
    rows, chosen_on = (
        (dev_rows, "challenge dev, out-of-fold")
        if len(dev_rows) >= 100
        else (hard, "tagged hard cases, out-of-fold")
        if len(hard) >= 100
        else (list(range(len(texts))), "every training message, out-of-fold")
    )
    threshold: dict[str, Any] = {
        **choose_threshold(oof[rows], [labels[i] for i in rows], settings.target_precision),
        "chosen_on": chosen_on,
        "n": len(rows),
    }
    issues = label_issues(oof[:n_train], labels[:n_train])
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
        f"{threshold['precision']:.1%} precise on {threshold['coverage']:.1%} of {threshold['n']} messages "
        f"({threshold['chosen_on']})",
    )

    pipeline = Pipeline([("preprocess", pre), *search.best_estimator_.steps])
    train_seconds = round(time.perf_counter() - started, 2)
    metadata: dict[str, Any] = {
        "name": settings.output.stem,
        "labels": list(LABELS),
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "train_seconds": train_seconds,
        "versions": library_versions(),
        "spacy_pipeline": describe(settings.spacy_model),
        "data": {
            "train": [describe_source(s) for s in settings.train_sources],
            "train_counts": counts,
        },
        "design": best["design"].name,
        "hyperparameters": {"drop_stopwords": pre.drop_stopwords, **best["params"]},
        "seed": settings.seed,
        "cv": {
            "folds": settings.cv_folds,
            "grouped_by": f"writer ({len(set(writers))} writers)" if grouped else "none (rows)",
            "macro_f1_mean": best["cv_macro_f1"],
            "macro_f1_std": best["cv_macro_f1_std"],
        },
        "uncertainty": threshold,
        "label_audit": {"flagged": len(issues)},
    }
    if challenge_dev is not None and settings.challenge_source is not None:
        metadata["data"]["challenge_dev"] = {**describe_source(settings.challenge_source), "n": n_dev}
    model = IntentModel(pipeline, threshold=threshold["threshold"], metadata=metadata)

    t0 = time.perf_counter()
    held_out: dict[str, Any] = {}
    if settings.test_source is not None:
        notes: list[str] = []
        test = load_labeled(settings.test_source, **_columns(settings, settings.test_source), notes=notes)
        for note in notes:
            _log(settings, f"      test: {note}")
        held_out["test"] = (test, settings.test_source, settings.test_source.stem)
    if challenge_test is not None and settings.challenge_source is not None:
        held_out["challenge_test"] = (challenge_test, settings.challenge_source, "challenge-test")
    evaluations: dict[str, dict[str, Any]] = {}
    textcat: dict[str, Any] | None = None  # trained once, scored on every held-out set
    for key, (ds, path, report_name) in held_out.items():
        test_texts, test_labels = texts_and_labels(ds)
        evaluation = evaluate_dataset(model, ds)
        evaluations[key] = evaluation
        scores = {k: evaluation[k] for k in ("n", "accuracy", "macro_f1", "per_label", "confusion_matrix")}
        metadata["data"][key] = {**describe_source(path), "n": len(test_texts)}
        metadata[key] = {
            "model": {
                **scores,
                "train_seconds": train_seconds,
                "messages_per_second": throughput(model.predict, test_texts),
            },
            **sklearn_baselines(texts, labels, test_texts, test_labels, settings.seed),
            "abstention": evaluation["abstention"],
            "robustness": evaluation["robustness"],
            "calibration": {k: evaluation["calibration"][k] for k in ("brier", "ece")},
        }
        if "phenomenon" in evaluation["slices"]:
            metadata[key]["phenomenon"] = evaluation["slices"]["phenomenon"]
        if settings.textcat_epochs > 0:
            textcat = textcat or fit_textcat(texts, labels, settings.textcat_epochs, settings.seed)
            metadata[key]["spacy_textcat"] = score_textcat(textcat, test_texts, test_labels)
        folder = report_folder(settings)
        if folder is not None:
            write_report(evaluation, folder / report_name, path.name, model.metadata["name"])
    metadata["designs"] = _design_table(candidates, pre, held_out)
    _log(settings, f"[4/5] held-out sets, baselines and the design table: {time.perf_counter() - t0:.0f}s")
    model.metadata = metadata
    saved = save_model(model, settings.output)
    card = write_artifacts(saved, evaluations.get("test"), settings.output)
    _log(
        settings,
        f"[5/5] wrote {settings.output} ({saved['model_bytes'] / 1e6:.1f} MB), {metadata_path(settings.output)} "
        f"and {card}" + (f"; reports in {report_folder(settings)}/" if settings.report_dir is not None else ""),
    )
    return saved


def _design_table(
    candidates: list[dict[str, Any]], pre: SpacyPreprocessor, held_out: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each design's best setting, refitted on all the training data, scored on the held-out sets.

    Reported only: the choice was made by cross-validation before any of these scores existed.
    """
    table = []
    sets = {key: texts_and_labels(ds) for key, (ds, _, _) in held_out.items()}
    for c in candidates:
        estimator = c["search"].best_estimator_  # refitted on all the training data by GridSearchCV
        row: dict[str, Any] = {
            "design": c["design"].name,
            "description": c["design"].description,
            "params": c["params"],
            "cv_macro_f1": c["cv_macro_f1"],
        }
        for key, (test_texts, test_labels) in sets.items():
            predicted = list(estimator.predict(pre.transform(test_texts)))
            scores = evaluate(test_labels, predicted)
            row[key] = {"macro_f1": scores["macro_f1"], "f1": {k: v["f1"] for k, v in scores["per_label"].items()}}
        table.append(row)
    return table


def _write_label_issues(issues: list[dict[str, Any]], texts: list[str], settings: TrainSettings) -> Path | None:
    """The audit's rows (with their text: a file on the user's machine, never a log)."""
    folder = report_folder(settings)
    if folder is None:
        return None
    if settings.force and folder.exists():
        shutil.rmtree(folder)  # replaced as a whole: no report of an earlier run is left inside
    path = folder / "label_issues.csv"
    with atomic_output(path) as fh:
        writer = CsvWriter(fh)
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


def write_artifacts(meta: dict[str, Any], evaluation: dict[str, Any] | None, output: Path) -> Path:
    """The model card and the test set's confusion matrix beside the model written to OUTPUT."""
    stem = output.stem
    folder = output.parent
    card = folder / ("MODEL_CARD.md" if stem == MODEL_NAME else f"{stem}.MODEL_CARD.md")
    image = None
    if evaluation is not None and images_available():
        image = f"{stem}.confusion_matrix.png"
        plot_confusion_matrix(evaluation["confusion_matrix"], folder / image, title=f"Test set (n={evaluation['n']})")
    write_model_card(meta, evaluation, card, image=image)
    return card


#: The held-out sets in the order they are reported, with their titles.
HELD_OUT = {"test": "test.csv", "challenge_test": "challenge test"}
SYSTEMS = {
    "model": "intent (spaCy + TF-IDF)",
    "tfidf_logreg_no_spacy": "TF-IDF + LR, no spaCy",
    "spacy_textcat": "spaCy textcat",
    "majority_class": "majority class",
}


def format_report(meta: dict[str, Any]) -> str:
    """A short plain-text report: the choice, then each held-out set beside the baselines, the
    abstention figures, and every design's scores."""
    unc, cv = meta["uncertainty"], meta["cv"]
    lines = [
        f"model: {meta['model_file']}  ({meta['model_bytes'] / 1e6:.1f} MB, trained in {meta['train_seconds']:.0f}s)",
        f"design: {meta.get('design', '?')}  settings: {meta['hyperparameters']}",
        f"cross-validation macro-F1: {cv['macro_f1_mean']:.3f} ± {cv['macro_f1_std']:.3f}"
        + (
            f" (folds hold out whole writers: {cv['grouped_by']})"
            if cv.get("grouped_by", "").startswith("writer")
            else ""
        ),
        f"uncertain below {unc['threshold']:.3f}: confident predictions {unc['precision']:.1%} precise on "
        f"{unc['coverage']:.1%} of {unc.get('n', '?')} messages ({unc.get('chosen_on', 'out-of-fold')})",
    ]
    for key, title in HELD_OUT.items():
        held = meta.get(key)
        if not held:
            continue
        header = (
            f"{title + ' (n=' + str(held['model']['n']) + ')':<26}{'macro-F1':>9}"
            + "".join(f"{label:>23}" for label in LABELS)
            + f"{'train s':>9}{'msg/s':>9}"
        )
        lines += ["", header]
        for system, name in SYSTEMS.items():
            if system not in held:
                continue
            row = held[system]
            lines.append(
                f"{name:<26}{row['macro_f1']:>9.3f}"
                + "".join(f"{row['per_label'][label]['f1']:>23.3f}" for label in LABELS)
                + f"{row.get('train_seconds', float('nan')):>9.1f}{row.get('messages_per_second', float('nan')):>9.0f}"
            )
        ab = held.get("abstention")
        if ab:
            lines.append(
                f"uncertain flag: confident predictions {percent(ab['precision_confident'])} precise, covering "
                f"{percent(ab['coverage'])} of messages; {ab['errors']} errors, "
                f"{percent(ab['errors_flagged'], 0)} of them flagged"
            )
        rob = held.get("robustness")
        if rob:
            lines.append(
                f"robustness: accents stripped {rob['accents_stripped']:.3f}, lowercased {rob['lowercased']:.3f} "
                f"(as written {rob['original']:.3f})"
            )
        worst = sorted(held.get("phenomenon", {}).items(), key=lambda kv: kv[1]["accuracy"])[:5]
        if worst:
            lines.append(
                "hardest phenomena: " + ", ".join(f"{name} {m['accuracy']:.0%} of {m['n']}" for name, m in worst)
            )
    table = meta.get("designs")
    if table:
        sets = [k for k in HELD_OUT if k in table[0]]
        lines += ["", f"{'design':<34}{'CV':>7}" + "".join(f"{HELD_OUT[k]:>17}" for k in sets)]
        for row in table:
            mark = "*" if row["design"] == meta.get("design") else " "
            lines.append(
                f"{mark}{row['design']:<33}{row['cv_macro_f1']:>7.3f}"
                + "".join(f"{row[k]['macro_f1']:>17.3f}" for k in sets)
            )
        lines.append("(* chosen by CV on the training data; held-out columns are reported only)")
    return "\n".join(lines)

"""Evaluation reports and the model card, written as files people read.

`write_report` puts metrics.json, report.md, confusion_matrix.png and reliability.png in a
folder; `write_model_card` writes MODEL_CARD.md from the training metadata. The images need
matplotlib (``pip install 'intent[report]'``); without it the reports are written without them.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from intent.config import LABEL_NAMES_ES, LABELS
from intent.extras import available, install_hint, require
from intent.report.evaluation import percent

#: Said once on stderr by the commands that write reports, when matplotlib is missing.
NO_IMAGES_NOTE = (
    "intent: note: the reports have no images (confusion matrix, reliability diagram): they need matplotlib. "
    f"Fix: {install_hint('report')}"
)


def images_available() -> bool:
    """True when matplotlib is installed (the ``report`` extra), so reports get their images."""
    return available("matplotlib")


BASELINE_NAMES = {
    "model": "intent (spaCy + TF-IDF + linear)",
    "base_model": "the model it was built from",
    "tfidf_logreg_no_spacy": "TF-IDF + logistic regression, no spaCy",
    "spacy_textcat": "spaCy textcat (default architecture)",
    "majority_class": "majority class",
}


def plot_confusion_matrix(matrix: list[list[int]], path: Path, title: str = "") -> None:
    matplotlib = require("matplotlib", "report")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.6, 4.6), dpi=120)
    ax.imshow(matrix, cmap="Blues")
    short = [LABEL_NAMES_ES[label] for label in LABELS]
    ax.set_xticks(range(len(LABELS)), short, rotation=20, ha="right")
    ax.set_yticks(range(len(LABELS)), short)
    ax.set_xlabel("predicha")
    ax.set_ylabel("real")
    top = max(max(row) for row in matrix) or 1
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center", color="white" if value > top / 2 else "black")
    ax.set_title(title or "Matriz de confusión")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_reliability(bins: list[dict[str, Any]], path: Path, ece: float) -> None:
    matplotlib = require("matplotlib", "report")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.8, 4.6), dpi=120)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="calibración perfecta")
    ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o", label="modelo")
    for b in bins:
        ax.annotate(
            str(b["n"]), (b["confidence"], b["accuracy"]), textcoords="offset points", xytext=(4, -10), fontsize=7
        )
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("confianza media del bin")
    ax.set_ylabel("acierto en el bin")
    ax.set_title(f"Diagrama de fiabilidad (ECE {ece:.3f})")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _per_label_table(metrics: dict[str, Any]) -> list[str]:
    lines = ["| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label in LABELS:
        m = metrics["per_label"][label]
        lines.append(f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |")
    return lines


def _matrix_table(matrix: list[list[int]]) -> list[str]:
    lines = ["| real \\ predicted | " + " | ".join(LABELS) + " |", "|---" * (len(LABELS) + 1) + "|"]
    for label, row in zip(LABELS, matrix, strict=True):
        lines.append(f"| {label} | " + " | ".join(map(str, row)) + " |")
    return lines


def _slices_table(slices: dict[str, Any]) -> list[str]:
    lines = ["| slice | value | n | macro-F1 | accuracy |", "|---|---|---|---|---|"]
    for facet, values in slices.items():
        for value, m in values.items():
            lines.append(f"| {facet} | {value} | {m['n']} | {m['macro_f1']:.3f} | {m['accuracy']:.3f} |")
    return lines


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def render_report(result: dict[str, Any], data_name: str, model_name: str, images: bool = True) -> str:
    cal, ab, rob = result["calibration"], result["abstention"], result["robustness"]
    lines = [
        f"# Evaluation of `{model_name}` on `{data_name}`",
        "",
        f"{result['n']} messages. Macro-F1 **{result['macro_f1']:.3f}**, accuracy {result['accuracy']:.3f}.",
        "",
        *_per_label_table(result),
        "",
        "## Confusion matrix",
        "",
        *_matrix_table(result["confusion_matrix"]),
        "",
        *(["![confusion matrix](confusion_matrix.png)", ""] if images else []),
        "## Calibration",
        "",
        f"Brier score {cal['brier']:.4f} (0 is perfect; a uniform guess scores 0.667). "
        f"Expected calibration error {cal['ece']:.4f} over 10 equal-width confidence bins.",
        "",
        *(["![reliability diagram](reliability.png)", ""] if images else []),
        f"Abstention: predictions with confidence under {ab['threshold']:.3f} are flagged `uncertain`; "
        f"here {percent(ab['coverage'])} of messages are confident, with precision "
        f"{percent(ab['precision_confident'])}; of the {ab['errors']} errors, {percent(ab['errors_flagged'], 0)} "
        "are flagged.",
        "",
        "## Robustness",
        "",
        "| variant of the data | macro-F1 | change |",
        "|---|---|---|",
        f"| as written | {rob['original']:.3f} | |",
        f"| all accents, ñ and ¿ ¡ stripped | {rob['accents_stripped']:.3f} | "
        f"{(rob['accents_stripped'] - rob['original']) * 100:+.1f} points |",
        f"| lowercased | {rob['lowercased']:.3f} | {(rob['lowercased'] - rob['original']) * 100:+.1f} points |",
        "",
        "## Slices",
        "",
        *_slices_table(result["slices"]),
        "",
        f"## The {len(result['confident_errors'])} most confident errors",
        "",
        "| id | true | predicted | confidence | text |",
        "|---|---|---|---|---|",
    ]
    for e in result["confident_errors"]:
        lines.append(f"| {e['id']} | {e['true']} | {e['predicted']} | {e['confidence']:.2f} | {_one_line(e['text'])} |")
    return "\n".join(lines) + "\n"


def write_report(result: dict[str, Any], folder: Path, data_name: str, model_name: str) -> Path:
    """metrics.json, report.md and the two PNGs (with matplotlib) in ``folder``; returns the report path.

    The folder is written beside its final place and renamed at the end, replacing an earlier one
    as a whole: an interrupted run never leaves a half report under the folder's name.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".partial", dir=folder.parent))
    try:
        (tmp / "metrics.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        images = images_available()
        if images:
            plot_confusion_matrix(result["confusion_matrix"], tmp / "confusion_matrix.png")
            plot_reliability(result["calibration"]["bins"], tmp / "reliability.png", result["calibration"]["ece"])
        (tmp / "report.md").write_text(render_report(result, data_name, model_name, images), encoding="utf-8")
        tmp.chmod(0o755)  # mkdtemp makes it private; a report folder is like any other
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
            os.replace(folder, old / folder.name)
            os.replace(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder / "report.md"


def render_model_card(
    meta: dict[str, Any], evaluation: dict[str, Any] | None, image: str | None = "confusion_matrix.png"
) -> str:
    """MODEL_CARD.md: use, data, metrics beside baselines, slices, limitations, ethics."""
    unc = meta["uncertainty"]
    personal = meta.get("personal")
    chosen = (
        f"the design and settings of `{personal['base']['name']}`, refitted without a new search"
        if personal
        else f"settings chosen by {meta['cv']['folds']}-fold cross-validation"
    )
    lines = [
        f"# Model card: `{meta['name']}`",
        "",
        f"Trained {meta['trained_at']} with intent {meta['versions'].get('intent', '?')}, "
        f"spaCy {meta['versions'].get('spacy', '?')} (`{meta['spacy_pipeline']['name']}`), "
        f"scikit-learn {meta['versions'].get('scikit-learn', '?')}. "
        f"Design `{meta.get('design', '?')}`, {chosen}: `{meta['hyperparameters']}`"
        + (
            "." if personal else f" (CV macro-F1 {meta['cv']['macro_f1_mean']:.3f} ± {meta['cv']['macro_f1_std']:.3f})."
        ),
        "",
        *(_personal_section(meta) if personal else []),
        "## Intended use",
        "",
        "Labels the intent of a Spanish LinkedIn message — what the sender wants — as `spam_sales`, "
        "`genuine_networking` or `gatekeeping_rejection`, to help a professional triage an inbox, a developer "
        "embed that triage, or a team measure it over many messages. It runs locally; messages never leave the "
        "machine.",
        "",
        "**Out of scope:** judging people (it labels a message, not its sender); automated blocking, hiring, "
        "credit or moderation decisions without a person checking; languages other than Spanish; messages "
        "outside professional networking (e-mail marketing, dating apps, customer support).",
        "",
        "## Data",
        "",
        f"Trained on {sum(meta['data']['train_counts'].values())} messages "
        f"({', '.join(f'{k} {v}' for k, v in meta['data']['train_counts'].items())}) written for this project; "
        "evaluated on a test set written separately and on the test split of a challenge set of hard cases "
        "written by other writers (its dev split is part of the training data). See `data/README.md`, the "
        "datasheet. All are synthetic: plausible messages from Spain and six Latin American regions, not real "
        "inboxes.",
        "",
    ]
    for key, title in (("test", "the test set"), ("challenge_test", "the challenge set's test split")):
        held = meta.get(key)
        if held:
            lines += _held_out_section(held, title, meta)
    if meta.get("designs"):
        lines += _design_section(meta)
    ch = meta.get("challenge_test", {}).get("abstention")
    how = (
        f" The threshold is the lowest at which confident predictions reached ≥ {unc['target_precision']:.0%} "
        f"precision on {unc.get('n', '?')} messages chosen because they are hard "
        f"({unc.get('chosen_on', 'out-of-fold')}): there, {unc['precision']:.1%} precision covering "
        f"{unc['coverage']:.1%} of messages. Choosing it on the easy messages instead would put it so low that almost "
        "no error is flagged."
        if all(k in unc for k in ("target_precision", "precision", "coverage"))
        else ""
    )
    lines += [
        "## Abstention: the `uncertain` flag",
        "",
        f"A prediction is flagged `uncertain` when its confidence is under **{unc['threshold']:.3f}**.{how}",
        "",
    ]
    if ch:
        lines += [
            f"On the challenge set's test split (never used to choose anything), confident predictions are "
            f"**{percent(ch['precision_confident'])} precise** and cover **{percent(ch['coverage'])}** of messages; of "
            f"the {ch['errors']} errors, **{percent(ch['errors_flagged'], 0)} are flagged**. Read the flag as: an "
            "unflagged label is right about as often as that precision says; a flagged one is a guess a person "
            "should check. On real inboxes, which differ from the corpus, expect more flagged messages and some "
            "unflagged errors. `--threshold` raises or lowers it.",
            "",
        ]
    if evaluation:
        rob = evaluation["robustness"]
        lines += [
            "## Slices and robustness (test set)",
            "",
            *_slices_table(evaluation["slices"]),
            "",
            f"Accents, ñ and ¿ ¡ stripped: macro-F1 {rob['accents_stripped']:.3f} "
            f"({(rob['accents_stripped'] - rob['original']) * 100:+.1f} points); lowercased: "
            f"{rob['lowercased']:.3f} ({(rob['lowercased'] - rob['original']) * 100:+.1f} points). "
            f"Calibration: Brier {evaluation['calibration']['brier']:.4f}, "
            f"ECE {evaluation['calibration']['ece']:.4f}.",
            "",
            *([f"![confusion matrix]({image})", ""] if image else []),
        ]
    lines += [
        "## Limitations",
        "",
        "- The corpus is synthetic and balanced; real inboxes are dominated by sales pitches and written by real "
        "people with habits no corpus fully covers. Test scores are likely optimistic.",
        '- Each message is read alone. Replies whose meaning depends on the thread ("Claro, te presento", '
        '"¿Su teléfono?") can be misread.',
        "- The hardest cases are the edge rules: warm openers that end in a pitch, peers proposing paid "
        "subcontracts, polite refusals. The most confident errors are listed in the evaluation report.",
        "- Spanish only. Messages in other languages get a label anyway and should be ignored.",
        "",
        "## Ethical notes",
        "",
        "- It labels the intent of a message, not a person. A sender of one pitch is not a spammer; a person "
        "who declines is not hostile.",
        "- Messages are personal data. Everything runs on the user's machine; nothing is logged with message "
        "text. Do not share labeled exports without the consent of the people in them.",
        "- Use the `uncertain` flag and read messages before acting on a label that matters.",
    ]
    return "\n".join(lines) + "\n"


def _held_out_section(held: dict[str, Any], title: str, meta: dict[str, Any]) -> list[str]:
    lines = [
        f"## Metrics on {title} (n={held['model']['n']})"
        + (
            ", beside the model it was built from"
            if "base_model" in held
            else ", beside baselines trained in the same run"
        ),
        "",
        "| system | macro-F1 | " + " | ".join(f"F1 {label}" for label in LABELS) + " | training time | messages/s |",
        "|---" * (len(LABELS) + 4) + "|",
    ]
    for key, name in BASELINE_NAMES.items():
        if key in held:
            row = held[key]
            speed = f"{row['messages_per_second']:,.0f}" if "messages_per_second" in row else "—"
            seconds = row.get("train_seconds", meta.get("train_seconds") if key == "model" else None)
            lines.append(
                f"| {name} | {row['macro_f1']:.3f} | "
                + " | ".join(f"{row['per_label'][label]['f1']:.3f}" for label in LABELS)
                + (f" | {seconds:.1f} s" if seconds is not None else " | —")
                + f" | {speed} |"
            )
    ours = held["model"]["macro_f1"]
    others = [k for k in BASELINE_NAMES if k != "model" and k in held]
    beaten_by = [BASELINE_NAMES[k] for k in others if held[k]["macro_f1"] >= ours]
    lines += [
        "",
        "The model does not beat: " + ", ".join(beaten_by) + "."
        if beaten_by
        else "The model beats every baseline."
        if others
        else "",
        "",
    ]
    phenomena = held.get("phenomenon")
    if phenomena:
        worst = sorted(phenomena.items(), key=lambda kv: (kv[1]["accuracy"], -kv[1]["n"]))[:10]
        lines += [
            "Hardest phenomena (accuracy, messages): "
            + ", ".join(f"`{name}` {m['accuracy']:.0%} of {m['n']}" for name, m in worst)
            + ". Every phenomenon is in the evaluation report.",
            "",
        ]
    return lines


def _personal_section(meta: dict[str, Any]) -> list[str]:
    """What a personal model learned from, and how it did on the corrections it was not trained on."""
    p = meta["personal"]
    counts = ", ".join(f"{label} {n}" for label, n in p["counts"].items())
    return [
        "## A personal model",
        "",
        f"Trained on the corpus of `{p['base']['name']}` plus **{p['corrections']} corrections** made by its user "
        f"({counts}), each counted as {p['weight']:g} corpus messages. The uncertainty threshold is the base "
        "model's. The corrections are not stored here, but the model's vocabulary holds words and character "
        "groups from them: keep this file as private as the messages.",
        "",
        f"On the corrected messages, under {p['folds']}-fold cross-validation (each predicted by a model trained "
        f"without it{', folds keeping each sender together' if p['grouped_by'] == 'sender' else ''}): "
        f"**{p['personal_right']} of {p['corrections']} right** ({p['personal_sure_right']} of them not flagged "
        f"uncertain), against {p['base_right']} ({p['base_sure_right']}) for `{p['base']['name']}`.",
        "",
    ]


def _design_section(meta: dict[str, Any]) -> list[str]:
    table = meta["designs"]
    sets = [k for k in ("test", "challenge_test") if k in table[0]]
    names = {"test": "test set", "challenge_test": "challenge test"}
    lines = [
        "## Designs compared",
        "",
        f"Chosen by {meta['cv']['folds']}-fold cross-validation on the training data "
        f"(folds grouped by {meta['cv'].get('grouped_by', 'row')}); the held-out columns are reported, not used.",
        "",
        "| design | what it reads | CV macro-F1 | " + " | ".join(names[k] for k in sets) + " |",
        "|---" * (3 + len(sets)) + "|",
    ]
    for row in table:
        mark = " (chosen)" if row["design"] == meta.get("design") else ""
        lines.append(
            f"| {row['design']}{mark} | {row['description']} | {row['cv_macro_f1']:.3f} | "
            + " | ".join(f"{row[k]['macro_f1']:.3f}" for k in sets)
            + " |"
        )
    return [*lines, ""]


def write_model_card(
    meta: dict[str, Any], evaluation: dict[str, Any] | None, path: Path, image: str | None = "confusion_matrix.png"
) -> None:
    path.write_text(render_model_card(meta, evaluation, image), encoding="utf-8")

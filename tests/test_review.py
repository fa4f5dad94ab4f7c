from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from intent.config import LABELS
from intent.learn.review import label_issues, review_file, select_for_review, uncertainty

S, N, G = LABELS


def test_uncertainty_is_one_minus_margin() -> None:
    proba = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.6, 0.3, 0.1]])
    assert uncertainty(proba).tolist() == pytest.approx([1.0, 0.0, 0.7])


def test_select_skips_near_copies() -> None:
    texts = ["hola, te ofrezco un curso de ventas", "hola, te ofrezco un curso de ventas!", "no gracias", "encantada"]
    proba = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.4, 0.3, 0.3], [0.9, 0.05, 0.05]])
    assert select_for_review(texts, proba, n=3) == [0, 2, 3]


def test_label_issues_flags_the_contradicted_row() -> None:
    oof = np.array([[0.9, 0.05, 0.05], [0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.05, 0.9, 0.05], [0.1, 0.1, 0.8]])
    issues = label_issues(oof, [S, S, N, S, G])  # row 4 says spam, the model is sure it is networking
    assert [(i["row"], i["given"], i["suggested"]) for i in issues] == [(4, S, N)]


def test_review_file_writes_rows_to_label(tmp_path: Path, mini_model_path: Path) -> None:
    src = tmp_path / "inbox.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["mensaje"])
        writer.writerows([[f"hola {i}, te escribo por lo del proyecto número {i}"] for i in range(30)] + [[""]])
    out = tmp_path / "to_label.csv"
    assert review_file(str(src), out, mini_model_path, n=5) == len(list(csv.DictReader(out.open()))) <= 5
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows and all(r["label"] in LABELS and r["text"] for r in rows)
    assert list(rows[0])[:3] == ["text", "label", "confidence"]


def test_review_output_is_spreadsheet_safe_and_trains_back_raw(tmp_path: Path, mini_model_path: Path) -> None:
    """Issue 17, items 3 and 4: review escapes formula cells and quotes CR for the spreadsheet, and the
    training reader undoes the escape, so the file goes straight back into `intent train --data`."""
    from intent.learn.data import load_labeled, texts_and_labels

    messages = [
        '=HYPERLINK("http://x") mira esta oferta',
        "+34 600 123 456 llámame",
        "@ana no gracias",
        "hola\rqué tal",
    ]
    src = tmp_path / "inbox.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["mensaje"], *([m] for m in messages)])
    out = tmp_path / "to_label.csv"
    assert review_file(str(src), out, mini_model_path, n=10) == 4
    raw = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert sorted(r["text"] for r in raw) == sorted(["'" + m for m in messages[:3]] + [messages[3]])
    texts, labels = texts_and_labels(load_labeled(out))
    assert sorted(texts) == sorted(messages) and all(label in LABELS for label in labels)

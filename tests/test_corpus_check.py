"""The shipped corpus passes its quality gate; the gate itself catches what it should."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from intent.config import DATA_DIR, LABELS
from intent.learn.corpus_check import COLUMNS, check_corpus, jaccard_matrix, main

BASE = {"region": "spain", "register": "neutral", "form": "inbox", "edge_rule": "", "source": "x"}
SUBTYPE = {"spam_sales": "cold_pitch", "genuine_networking": "peer_connect", "gatekeeping_rejection": "lecture"}


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({**BASE, "subtype": SUBTYPE.get(row["label"], "cold_pitch"), **row})


@pytest.mark.slow
def test_shipped_corpus_passes_every_check() -> None:
    report = check_corpus(DATA_DIR)
    assert report.problems == [], "\n".join(map(str, report.problems))
    assert report.max_test_train_similarity < 0.6


def test_jaccard_of_known_strings() -> None:
    sim = jaccard_matrix(["abcdef"], ["abcdef", "abcdeX", "zzzzzz", "ab"])
    # 5-grams of abcdef: {abcde, bcdef}; abcdeX: {abcde, bcdeX}: 1 shared of 3
    assert sim[0].tolist() == pytest.approx([1.0, 1 / 3, 0.0, 0.0])


def test_gate_names_offending_rows(tmp_path: Path) -> None:
    long_a = "Hola Ana, vi tu charla sobre logística en Lima y me encantaría intercambiar ideas contigo."
    long_b = "Hola Ana, vi tu charla sobre logística en Lima y me encantaría intercambiar ideas con vos."
    write(
        tmp_path / "train.csv",
        [
            {"id": "tr-1", "text": long_a, "label": "genuine_networking"},
            {"id": "tr-2", "text": long_b, "label": "genuine_networking"},  # near-duplicate in train
            {"id": "tr-3", "text": "no me interesa", "label": "gatekeeping_rejection"},
            {"id": "tr-4", "text": "no me interesa!", "label": "gatekeeping_rejection"},  # short pair: allowed
            {"id": "tr-5", "text": "  ", "label": "spam_sales"},
            {"id": "tr-5", "text": "Compra ya", "label": "maybe"},
            {"id": "tr-7", "text": "x" * 301, "label": "spam_sales", "form": "invitation"},
        ],
    )
    write(tmp_path / "test.csv", [{"id": "te-1", "text": "No me interesa.", "label": "gatekeeping_rejection"}])
    problems = [str(p) for p in check_corpus(tmp_path).problems]
    text = "\n".join(problems)
    assert "near-duplicate" in text and "[tr-1, tr-2]" in text
    assert "[tr-3, tr-4]" not in text
    assert "empty text [tr-5]" in text
    assert "duplicate ids [tr-5]" in text
    assert "label not in" in text
    assert "invitation note longer than 300" in text and "tr-7" in text
    assert "test.csv vs train.csv: near-duplicate" in text and "te-1" in text
    for label in LABELS:
        assert any(f"of {label}, need at least" in p for p in problems)
    assert main([str(tmp_path)]) == 1


def test_gate_checks_the_challenge_set_and_minimal_pairs(tmp_path: Path) -> None:
    from intent.learn.corpus_check import CHALLENGE_COLUMNS, check_pairs

    pitch = "Hola Ana, vi tu charla sobre logística en Lima y quería ofrecerte nuestro software de rutas."
    write(tmp_path / "train.csv", [{"id": "tr-1", "text": pitch, "label": "spam_sales"}])
    write(tmp_path / "test.csv", [{"id": "te-1", "text": "Gracias, no me interesa.", "label": "gatekeeping_rejection"}])
    with (tmp_path / "challenge.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CHALLENGE_COLUMNS)
        writer.writeheader()
        base = {**BASE, "subtype": "cold_pitch", "label": "spam_sales"}
        writer.writerow({**base, "id": "ch-1", "text": pitch.replace("Ana", "Eva"), "split": "test", "phenomenon": "x"})
        writer.writerow(
            {**base, "id": "ch-2", "text": "Otra cosa distinta del todo", "split": "train", "phenomenon": ""}
        )
        writer.writerow(
            {**base, "id": "tr-1", "text": "Y una tercera, también distinta", "split": "dev", "phenomenon": "y"}
        )
    text = "\n".join(map(str, check_corpus(tmp_path).problems))
    assert "challenge.csv vs train.csv: near-duplicate" in text and "ch-1, tr-1" in text
    assert "split not in ['dev', 'test'] [ch-2]" in text
    assert "empty phenomenon [ch-2]" in text
    assert "id used in two files [tr-1]" in text
    assert "rows in split=test, need 300" in text
    pairs = [
        {"id": "a", "label": "spam_sales", "pair": "p1"},
        {"id": "b", "label": "spam_sales", "pair": "p1"},  # same label: not a minimal pair
        {"id": "c", "label": "spam_sales", "pair": "p2"},  # alone
        {"id": "d", "label": "spam_sales", "pair": "p3"},
        {"id": "e", "label": "genuine_networking", "pair": "p3"},
    ]
    found = {p.rows for p in check_pairs("train.csv", pairs)}
    assert found == {("a", "b"), ("c",)}

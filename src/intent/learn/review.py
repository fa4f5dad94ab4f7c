"""Closing the loop: pick the messages worth a person's look, and audit labels before training.

`select_for_review` takes the messages the model is least sure about, skipping near-copies of
ones already picked, so 200 rows to label are 200 different questions. `label_issues` finds
training rows whose given label the model, trained without them, strongly disagrees with (the
idea behind cleanlab's confident learning, written plainly here to avoid a dependency).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from intent.config import LABELS
from intent.text.normalize import has_content

#: Two candidates more similar than this (cosine of character 3-5-grams) count as near-copies.
NEAR_COPY_COSINE = 0.8


def uncertainty(proba: np.ndarray) -> np.ndarray:
    """1 - (best - second best probability): 1 when the top two labels tie, 0 when certain."""
    top2 = np.sort(proba, axis=1)[:, -2:]
    return 1.0 - (top2[:, 1] - top2[:, 0])


def select_for_review(texts: Sequence[str], proba: np.ndarray, n: int = 200) -> list[int]:
    """Indices of up to ``n`` messages, least sure first, none a near-copy of another picked."""
    order = np.argsort(-uncertainty(proba), kind="stable")
    candidates = [int(i) for i in order[: max(n * 5, n)] if has_content(texts[i])]
    if not candidates:
        return []
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform([texts[i] for i in candidates])
    chosen: list[int] = []
    chosen_rows: list[int] = []
    for row, index in enumerate(candidates):
        if chosen_rows:
            similarity = (vectors[chosen_rows] @ vectors[row].T).toarray().ravel()
            if similarity.max() >= NEAR_COPY_COSINE:
                continue
        chosen.append(index)
        chosen_rows.append(row)
        if len(chosen) == n:
            break
    return chosen


def label_issues(oof_proba: np.ndarray, given: Sequence[str]) -> list[dict[str, Any]]:
    """Rows whose out-of-fold prediction confidently contradicts the given label.

    A row is flagged when another label's probability reaches that label's own threshold (the
    mean probability the model gives it on rows labeled with it) and exceeds the probability
    of the given label. Sorted by how little the model believes the given label.
    """
    given_idx = np.array([LABELS.index(y) for y in given])
    thresholds = np.array(
        [oof_proba[given_idx == k, k].mean() if np.any(given_idx == k) else 1.0 for k in range(len(LABELS))]
    )
    issues = []
    for i, k in enumerate(given_idx):
        row = oof_proba[i]
        others = [j for j in range(len(LABELS)) if j != k and row[j] >= thresholds[j] and row[j] > row[k]]
        if others:
            best = max(others, key=lambda j: row[j])
            issues.append(
                {
                    "row": i + 1,
                    "given": LABELS[k],
                    "suggested": LABELS[best],
                    "p_given": float(row[k]),
                    "p_suggested": float(row[best]),
                }
            )
    issues.sort(key=lambda issue: issue["p_given"])
    return issues


def review_file(
    input_: str,
    output: Any,
    model_path: Any,
    n: int = 200,
    text_column: str | None = None,
    force: bool = False,
    on_bad_lines: str = "error",
) -> int:
    """Write the ``n`` messages of INPUT most worth labeling to OUTPUT, the model's guess in ``label``.

    Streams INPUT and keeps only a bounded pool of the least sure candidates, so any size works.
    Returns the number of rows written. The output reads straight back with `intent train --data`.
    """
    import heapq
    import itertools

    from intent.api import load_model
    from intent.errors import DataError
    from intent.io.batch import BatchOptions, _check_output, _chunks, _open
    from intent.io.csv_io import CsvWriter, atomic_output
    from intent.io.linkedin import resolve_sources

    if n < 1:
        raise DataError(f"--n must be at least 1, got {n}")
    model = load_model(model_path)
    sources = resolve_sources(input_)
    _check_output(output, sources, force)
    options = BatchOptions(text_column=text_column, on_bad_lines=on_bad_lines)
    pool: list[tuple[float, int, str, str, int, list[float]]] = []  # (uncertainty, seq, text, file, line, proba)
    seq = itertools.count()
    for source in sources:
        opened = _open(source, options)
        try:
            for rows in _chunks(iter(opened.reader), 1000):
                texts = [opened.layout.text_of(r.values) for r in rows]
                keep = [i for i, t in enumerate(texts) if has_content(t)]
                if not keep:
                    continue
                proba = model.predict_proba([texts[i] for i in keep])
                for i, u, p in zip(keep, uncertainty(proba), proba, strict=True):
                    item = (float(u), -next(seq), texts[i], source.name, rows[i].line, p.tolist())
                    if len(pool) < n * 5:
                        heapq.heappush(pool, item)
                    else:
                        heapq.heappushpop(pool, item)
        finally:
            opened.close()
    pool.sort(key=lambda item: (-item[0], -item[1]))
    picked = select_for_review([item[2] for item in pool], np.array([item[5] for item in pool]).reshape(-1, 3), n)
    with atomic_output(output) as fh:
        writer = CsvWriter(fh)
        writer.writerow(["text", "label", "confidence", *(f"proba_{label}" for label in LABELS), "source_file", "line"])
        for index in picked:
            _, _, text, name, line, probs = pool[index]
            best = int(np.argmax(probs))
            writer.writerow([text, LABELS[best], f"{probs[best]:.4f}", *(f"{p:.4f}" for p in probs), name, line])
    return len(picked)

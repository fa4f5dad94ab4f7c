"""A file the page already classified, shown under another model's labels.

The upload is gone once classified (nothing personal stays on disk), so a file is not read
again: a `Labeling` holds every row's label and probabilities as one model gave them (a few
numbers per row, no text), and the functions here rewrite the page's rows, the labeled CSV
and the conversations with it. Switching back and forth between two models is then instant.
"""

from __future__ import annotations

import csv
import io
import json
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from intent.config import LABELS
from intent.errors import IntentError
from intent.io.batch import PREDICTION_COLUMNS, Result
from intent.io.csv_io import CsvWriter

#: (label, probabilities, uncertain) of one row, as conversations are combined from.
Scored = tuple[str | None, tuple[float, ...] | None, bool]


@dataclass
class Labeling:
    """Every row's label under one model. ``labels`` is an index into LABELS, -1 where there was no text."""

    model: str  # the model file's resolved path: two labelings of the same file by one model are one
    name: str
    threshold: float
    labels: np.ndarray  # int8
    probabilities: np.ndarray  # float64 (as the model gave them: the CSV's 4 decimals come out the same), (rows, 3)
    uncertain: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.labels)

    def label(self, i: int) -> str | None:
        index = int(self.labels[i])
        return None if index < 0 else LABELS[index]

    def scored(self, i: int) -> Scored:
        label = self.label(i)
        if label is None:
            return None, None, True
        return label, tuple(float(p) for p in self.probabilities[i]), bool(self.uncertain[i])

    @classmethod
    def from_probabilities(
        cls, model: str, name: str, threshold: float, probabilities: np.ndarray, foreign: np.ndarray
    ) -> Labeling:
        """A model's labels from its probabilities (NaN rows: no text); ``foreign`` rows stay uncertain, as
        `IntentModel.classify` flags a message not in Spanish whatever its confidence."""
        probabilities = np.asarray(probabilities, dtype=np.float64)
        empty = np.isnan(probabilities).any(axis=1)
        labels = np.where(empty, -1, np.nan_to_num(probabilities).argmax(axis=1)).astype(np.int8)
        confidence = np.nan_to_num(probabilities).max(axis=1)
        uncertain = empty | foreign.astype(bool) | (confidence < threshold)
        return cls(model, name, threshold, labels, probabilities, uncertain)


class LabelingBuilder:
    """Collects a labeling row by row, as a file is classified: a few bytes per row (typed arrays, not tuples)."""

    def __init__(self) -> None:
        self._labels = array("b")
        self._probabilities = array("d")
        self._uncertain = array("b")
        self._foreign = array("b")

    def add(self, result: Result) -> None:
        label, _, uncertain, probabilities, status, _ = result
        self._labels.append(-1 if label is None else LABELS.index(label))
        self._probabilities.extend(probabilities or (float("nan"),) * len(LABELS))
        self._uncertain.append(uncertain)
        self._foreign.append(status == "other_language")

    def build(self, model: str, name: str, threshold: float) -> tuple[Labeling, np.ndarray]:
        """The labeling, and which rows are not in Spanish (kept for labelings by other models)."""
        labeling = Labeling(
            model,
            name,
            threshold,
            np.frombuffer(self._labels, dtype=np.int8).copy(),
            np.frombuffer(self._probabilities, dtype=np.float64).reshape(-1, len(LABELS)).copy(),
            np.frombuffer(self._uncertain, dtype=np.int8).astype(bool),
        )
        return labeling, np.frombuffer(self._foreign, dtype=np.int8).astype(bool)


def model_info(path: Path) -> tuple[str, float]:
    """A model's name and uncertainty threshold, from the metadata beside it (it was loaded: it is readable)."""
    # Imported here: `intent.model_io` brings the model's code (spaCy, SciPy), and a job's process imports
    # this module before it makes its own process group, which is what the memory watchdog measures.
    from intent.model_io import read_metadata

    try:
        meta = read_metadata(path) or {}
    except IntentError:
        meta = {}
    return str(meta.get("name", path.stem)), float(meta.get("threshold", 0.5))


@dataclass
class RowsTable:
    """The page's rows as one JSON buffer (``{…},{…}``) with where each row starts, and their counts."""

    data: bytes | memoryview
    starts: np.ndarray  # int64: offset of each row's JSON
    counts: dict[str, int]
    months: dict[str, dict[str, int]]
    uncertain: int

    def row_bytes(self, n: int) -> bytes:
        end = int(self.starts[n + 1]) - 1 if n + 1 < len(self.starts) else len(self.data)  # -1: the comma
        return bytes(self.data[int(self.starts[n]) : end])

    def row(self, n: int) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.row_bytes(n))
        return value

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for n in range(len(self.starts)):
            yield self.row(n)


def relabel_rows(table: RowsTable, labeling: Labeling) -> RowsTable:
    """The rows with each one's intent, confidence, probabilities and uncertain flag from ``labeling``."""
    out = io.BytesIO()
    starts = np.zeros(len(table.starts), dtype=np.int64)
    counts = dict.fromkeys(LABELS, 0)
    months: dict[str, dict[str, int]] = {}
    uncertain = 0
    for n, row in enumerate(table):
        label, probabilities, flagged = labeling.scored(n)
        if label is not None and probabilities is not None:
            row["intent"] = label
            row["confidence"] = round(max(probabilities), 4)
            row["probabilities"] = [round(p, 4) for p in probabilities]
            row["uncertain"] = flagged
            counts[label] += 1
            uncertain += flagged
            if row.get("month"):
                months.setdefault(row["month"], dict.fromkeys(LABELS, 0))[label] += 1
        if n:
            out.write(b",")
        starts[n] = out.tell()
        out.write(json.dumps(row, ensure_ascii=False).encode("utf-8"))
    return RowsTable(out.getbuffer(), starts, counts, dict(sorted(months.items())), uncertain)


def relabel_csv(data: bytes, labeling: Labeling) -> bytes:
    """The labeled CSV (as `intent classify` writes it) with the prediction columns from ``labeling``.

    The other cells are copied as they were written (already escaped for spreadsheets), so a
    file relabeled by the model that labeled it comes back byte for byte.
    """
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    out = io.StringIO(newline="")
    writer = CsvWriter(out)
    header = next(reader)
    writer.writerow(header, escape=False)
    k = len(PREDICTION_COLUMNS)  # intent, confidence, uncertain, proba_*, status, language: the last columns
    fmt = "{:.4f}".format
    for n, row in enumerate(reader):
        label, probabilities, flagged = labeling.scored(n)
        if label is not None and probabilities is not None:
            row[-k:-2] = [label, fmt(max(probabilities)), "true" if flagged else "false"] + [
                fmt(p) for p in probabilities
            ]
        writer.writerow(row, escape=False)
    return out.getvalue().encode("utf-8")

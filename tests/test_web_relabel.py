"""A classified file shown under another model's labels, and back, without reading the upload again."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import pytest

from intent.config import LABELS, SAMPLE_EXPORT
from intent.io.batch import BatchOptions
from intent.web.jobs import Job, JobStore
from intent.web.relabel import Labeling, relabel_csv, relabel_rows

SPAM, GENUINE, REJECTION = LABELS


@pytest.fixture
def store(mini_model_path: Path) -> Iterator[JobStore]:
    s = JobStore(mini_model_path)
    yield s
    s.close()


def finished(job: Job) -> Job:
    deadline = time.monotonic() + 60
    while not job.finished:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert job.state == "done", job.error
    return job


@pytest.fixture
def export_job(store: JobStore) -> Job:
    return finished(store.submit(None, SAMPLE_EXPORT, "ejemplo", BatchOptions()))


def all_spam(job: Job, name: str = "all-spam") -> Labeling:
    """Another model's labels: every message with text is spam, confidently (rows not in Spanish stay uncertain)."""
    n = job.n_rows
    probabilities = np.tile([0.9, 0.06, 0.04], (n, 1))
    original = job.labelings[job.labeled_with]
    probabilities[original.labels < 0] = np.nan
    return Labeling.from_probabilities(name, name, 0.8, probabilities, job.foreign)


def rows_of(job: Job) -> dict[str, object]:
    return json.loads(b"".join(job.rows_json()))  # type: ignore[no-any-return]


def test_the_models_own_labels_give_the_file_back_byte_for_byte(export_job: Job, mini_model_path: Path) -> None:
    labeling = export_job.labelings[str(mini_model_path)]
    assert export_job.labeled_with == str(mini_model_path) and len(labeling) == export_job.n_rows
    table = export_job._rows
    assert table is not None
    assert bytes(relabel_rows(table, labeling).data) == bytes(table.data)
    assert export_job.labeled_csv is not None
    assert relabel_csv(export_job.labeled_csv, labeling) == export_job.labeled_csv


def test_another_models_labels_rewrite_rows_csv_and_conversations(export_job: Job, mini_model_path: Path) -> None:
    before = rows_of(export_job)
    labeled_before = export_job.labeled_csv
    export_job.labelings["all-spam"] = all_spam(export_job)
    assert export_job.relabel("all-spam")
    after = rows_of(export_job)
    rows_before, rows_after = before["rows"], after["rows"]
    assert isinstance(rows_before, list) and isinstance(rows_after, list)
    for old, new in zip(rows_before, rows_after, strict=True):
        if old["intent"] is None:
            assert new == old  # nothing to classify: untouched
        else:
            assert (new["intent"], new["confidence"], new["probabilities"]) == (SPAM, 0.9, [0.9, 0.06, 0.04])
            assert new["uncertain"] == (old["status"] == "other_language")
            assert {
                k: v for k, v in new.items() if k not in ("intent", "confidence", "probabilities", "uncertain")
            } == {k: v for k, v in old.items() if k not in ("intent", "confidence", "probabilities", "uncertain")}
    labeled = sum(r["intent"] is not None for r in rows_after)
    assert after["counts"] == {SPAM: labeled, GENUINE: 0, REJECTION: 0}
    # the labeled CSV: same rows and columns, the new labels
    assert export_job.labeled_csv is not None and labeled_before is not None
    new_csv = list(csv.DictReader(io.StringIO(export_job.labeled_csv.decode("utf-8"))))
    old_csv = list(csv.DictReader(io.StringIO(labeled_before.decode("utf-8"))))
    assert len(new_csv) == len(old_csv) == len(rows_after)
    assert [r["intent"] for r in new_csv] == [r["intent"] or "" for r in rows_after]
    assert [r["CONTENT"] for r in new_csv] == [r["CONTENT"] for r in old_csv]
    # conversations combined again: every one the other party wrote in is a pitch now, and nobody awaits a reply
    conversations = after["conversations"]
    assert isinstance(conversations, list)
    assert {c["intent"] for c in conversations} == {SPAM, None}
    assert after["awaiting"] == 0
    senders = after["senders"]
    assert isinstance(senders, list)
    assert all(s["counts"].get(GENUINE, 0) == 0 for s in senders)
    assert export_job.conversations_csv is not None
    assert (
        b",spam_sales," in export_job.conversations_csv and b",genuine_networking," not in export_job.conversations_csv
    )
    # and back: the file as it was, exactly
    assert export_job.relabel(str(mini_model_path))
    assert rows_of(export_job) == before
    assert export_job.labeled_csv == labeled_before


def test_a_model_the_job_has_no_labels_of_changes_nothing(export_job: Job) -> None:
    before = rows_of(export_job)
    assert not export_job.relabel("/no/such/model.joblib")
    assert rows_of(export_job) == before


def test_a_plain_csv_is_relabeled_too(store: JobStore, mini_model_path: Path) -> None:
    workdir = TemporaryDirectory(prefix="intent-upload-")
    path = Path(workdir.name) / "in.csv"
    path.write_text("text,sender\nCompra ya con 50% de descuento,Ana\nNo me interesa,Luis\n,Eva\n", encoding="utf-8")
    job = finished(store.submit(workdir, path, "in.csv", BatchOptions()))
    job.labelings["all-spam"] = all_spam(job)
    assert job.relabel("all-spam")
    assert [r["intent"] for r in rows_of(job)["rows"]] == [SPAM, SPAM, None]  # type: ignore[index]
    assert job.relabel(str(mini_model_path))


def test_labels_from_probabilities_mark_doubt_and_empty_rows() -> None:
    probabilities = np.array([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4], [np.nan] * 3, [0.1, 0.85, 0.05]])
    foreign = np.array([False, False, False, True])
    labeling = Labeling.from_probabilities("m", "m", 0.6, probabilities, foreign)
    assert [labeling.label(i) for i in range(4)] == [SPAM, REJECTION, None, GENUINE]
    assert labeling.uncertain.tolist() == [False, True, True, True]  # under the threshold, no text, not Spanish
    assert labeling.scored(2) == (None, None, True)

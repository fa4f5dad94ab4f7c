"""Background jobs: they finish, fail or stop cleanly, remove their upload, and are forgotten in time."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest

from intent.config import LABELS
from intent.io.batch import BatchOptions
from intent.web.jobs import Job, JobStore


@pytest.fixture
def store(mini_model_path: Path) -> Iterator[JobStore]:
    s = JobStore(mini_model_path, keep=2, ttl_seconds=3600)
    yield s
    s.close()


def upload(texts: list[str]) -> tuple[TemporaryDirectory[str], Path]:
    workdir = TemporaryDirectory(prefix="intent-upload-")
    path = Path(workdir.name) / "in.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text"])
        writer.writerows([t] for t in texts)
    return workdir, path


def wait(job: Job, timeout: float = 60.0) -> Job:
    deadline = time.monotonic() + timeout
    while not job.finished:
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.02)
    return job


def test_a_job_classifies_and_removes_its_upload(store: JobStore) -> None:
    workdir, path = upload(["Compra ya con 50% de descuento", "No me interesa", ""])
    job = wait(store.submit(workdir, path, "in.csv", BatchOptions()))
    assert job.state == "done" and job.error is None
    assert job.status()["progress"] == 1.0 and job.status()["rows"] == 3
    assert job.labeled_csv is not None and job.labeled_csv.count(b"\n") == 4
    assert not Path(workdir.name).exists()
    body = json.loads(b"".join(job.rows_json(chunk=7)))
    assert [r["n"] for r in body["rows"]] == [0, 1, 2]
    assert [r["intent"] for r in body["rows"]][2] is None and body["rows"][2]["status"] == "empty"
    assert body["counts"] == {label: sum(r["intent"] == label for r in body["rows"]) for label in LABELS}
    assert body["months"] == {} and body["labels"] == list(LABELS)


def test_a_failed_job_says_why_and_keeps_nothing(store: JobStore) -> None:
    workdir, path = upload(["hola"])
    path.write_bytes(b'text\n"unbalanced quote\n')
    job = wait(store.submit(workdir, path, "in.csv", BatchOptions()))
    assert job.state == "failed" and "line" in (job.error or "")
    assert job.labeled_csv is None and json.loads(b"".join(job.rows_json()))["rows"] == []
    assert not Path(workdir.name).exists()


def test_removing_a_running_job_stops_it(store: JobStore) -> None:
    workdir, path = upload([f"Mensaje número {i} sobre una propuesta de colaboración" for i in range(20_000)])
    job = store.submit(workdir, path, "in.csv", BatchOptions(chunk_size=100))
    while job.state == "queued":
        time.sleep(0.005)
    assert store.remove(job.id)
    wait(job)
    assert job.state == "cancelled" and job.labeled_csv is None
    assert json.loads(b"".join(job.rows_json()))["rows"] == []
    assert store.get(job.id) is None
    assert not Path(workdir.name).exists()


def test_old_jobs_are_forgotten(mini_model_path: Path) -> None:
    store = JobStore(mini_model_path, keep=2, ttl_seconds=3600)
    try:
        jobs = []
        for _ in range(3):
            workdir, path = upload(["hola"])
            jobs.append(wait(store.submit(workdir, path, "in.csv", BatchOptions())))
        assert store.get(jobs[0].id) is None  # only `keep` finished jobs are kept
        assert store.get(jobs[2].id) is not None
        store.ttl_seconds = 0
        workdir, path = upload(["hola"])
        last = store.submit(workdir, path, "in.csv", BatchOptions())
        assert [store.get(j.id) for j in jobs] == [None, None, None]  # expired
        assert store.get(last.id) is last
        wait(last)
    finally:
        store.close()

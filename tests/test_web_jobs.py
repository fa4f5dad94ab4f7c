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
from intent.web.jobs import Job, JobsBusy, JobStore, hide_server_paths


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
    store = JobStore(mini_model_path, keep=2, ttl_seconds=3600, in_use_seconds=0)
    try:
        jobs = []
        for _ in range(3):
            workdir, path = upload(["hola"])
            jobs.append(wait(store.submit(workdir, path, "in.csv", BatchOptions())))
        assert store.get(jobs[0].id) is None  # only `keep` jobs are kept
        assert store.get(jobs[2].id) is not None
        store.ttl_seconds = 0
        workdir, path = upload(["hola"])
        last = store.submit(workdir, path, "in.csv", BatchOptions())
        assert [store.get(j.id) for j in jobs] == [None, None, None]  # expired
        assert store.get(last.id) is last
        wait(last)
    finally:
        store.close()


def test_a_job_in_use_is_never_evicted(mini_model_path: Path) -> None:
    """Issue 17, item 7: other traffic cannot push out the results someone is looking at."""
    store = JobStore(mini_model_path, keep=2, ttl_seconds=3600, in_use_seconds=600)
    try:
        mine = wait(store.submit(*upload(["hola"]), "mine.csv", BatchOptions()))
        other = wait(store.submit(*upload(["hola"]), "other.csv", BatchOptions()))
        assert store.get(mine.id) is mine  # polled or downloaded: in use
        workdir, path = upload(["hola"])
        with pytest.raises(JobsBusy, match="try again"):
            store.submit(workdir, path, "third.csv", BatchOptions())
        assert not Path(workdir.name).exists()  # the refused upload is not kept
        assert store.get(mine.id) is mine and store.get(other.id) is other
        other.touched -= 601  # nobody has looked at it for ten minutes: it may go, the one in use stays
        third = wait(store.submit(*upload(["hola"]), "third.csv", BatchOptions()))
        assert store.get(other.id) is None and store.get(mine.id) is mine and third.state == "done"
    finally:
        store.close()


def test_a_running_job_is_never_evicted(mini_model_path: Path) -> None:
    store = JobStore(mini_model_path, keep=1, in_use_seconds=0)
    try:
        workdir, path = upload([f"Mensaje número {i} sobre una propuesta" for i in range(5000)])
        running = store.submit(workdir, path, "big.csv", BatchOptions(chunk_size=100))
        with pytest.raises(JobsBusy):
            store.submit(*upload(["hola"]), "next.csv", BatchOptions())
        assert store.remove(running.id)
        wait(running)
    finally:
        store.close()


def test_a_job_over_its_memory_limit_fails_clearly(mini_model_path: Path) -> None:
    """Issue 17, item 1: a job's memory is bounded by a watchdog on its process."""
    store = JobStore(mini_model_path, max_memory_mb=50)  # far under what loading a model takes
    try:
        workdir, path = upload(["hola"] * 100)
        job = wait(store.submit(workdir, path, "in.csv", BatchOptions()))
        assert job.state == "failed" and "more than 50 MB" in (job.error or "") and "--max-job-memory-mb" in job.error
        assert job.labeled_csv is None and not Path(workdir.name).exists()
    finally:
        store.close()


def test_close_stops_the_running_job_and_removes_queued_uploads(mini_model_path: Path) -> None:
    store = JobStore(mini_model_path)
    workdir1, path1 = upload([f"Mensaje número {i} sobre una propuesta" for i in range(20_000)])
    running = store.submit(workdir1, path1, "big.csv", BatchOptions(chunk_size=100))
    workdir2, path2 = upload(["hola"])
    queued = store.submit(workdir2, path2, "next.csv", BatchOptions())
    while running.state == "queued":
        time.sleep(0.01)
    started = time.monotonic()
    store.close()
    assert time.monotonic() - started < 10
    assert running.state == "cancelled" and queued.state == "queued"
    assert not Path(workdir1.name).exists() and not Path(workdir2.name).exists()


def test_error_messages_hide_server_paths() -> None:
    import tempfile

    folder = Path(tempfile.gettempdir()) / "intent-upload-abc_12"
    message = f"{folder / 'export.zip'} is password-protected (encrypted)"
    assert hide_server_paths(message) == "export.zip is password-protected (encrypted)"

"""Files the page classifies in the background, one at a time, with progress to poll.

Each file is classified in a process of its own (`intent.web.worker`), so the server keeps
answering while it runs and a cancelled job or a shutdown stops it at once. A job owns the
temporary folder its upload was saved in and removes it when classification ends, whatever
the outcome. The results (the rows for the table and the labeled CSV) are kept in memory
only, for a few files and a limited time, so nothing personal stays on disk; a file someone
is still looking at is never forgotten to make room for another. So are the user's
corrections, and each model's labels of the file (`intent.web.relabel`), so the page can show
the file under a personal model and back without reading it again.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np

from intent.config import (
    LABELS,
    SERVE_JOB_IN_USE_SECONDS,
    SERVE_JOB_MAX_MEMORY_MB,
    SERVE_JOB_TTL_SECONDS,
    SERVE_KEEP_JOBS,
)
from intent.errors import IntentError
from intent.io.batch import BatchOptions, Summary
from intent.io.conversations import Conversation, ConversationSummary, write_conversations
from intent.text.language import LANGUAGE_NAMES
from intent.web.corrections import Corrections, Source, examples
from intent.web.messages import for_web
from intent.web.relabel import Labeling, RowsTable, relabel_csv, relabel_rows
from intent.web.rows import display_conversation, display_sender
from intent.web.worker import RunCancelled, RunCrashed, RunFailed, RunProcess, Table

log = logging.getLogger("intent.web")

STATES = ("queued", "running", "done", "failed", "cancelled")


def _temporary_folders() -> re.Pattern[str]:
    roots = {tempfile.gettempdir(), os.path.realpath(tempfile.gettempdir())}
    alternatives = "|".join(re.escape(root.rstrip(os.sep)) for root in sorted(roots, key=len, reverse=True))
    return re.compile(rf"(?:{alternatives}){re.escape(os.sep)}intent-[\w.-]+{re.escape(os.sep)}")


def hide_server_paths(message: str) -> str:
    """``message`` without the server's temporary folders: "/tmp/intent-upload-x1/export.zip" -> "export.zip"."""
    return _temporary_folders().sub("", message)


class JobsBusy(IntentError):
    """Every slot holds a job someone is using: a new one is refused (HTTP 429), none is evicted."""


@dataclass
class Job:
    """One uploaded file: its progress, and once done its table (as JSON), labeled CSV and conversations."""

    id: str
    filename: str
    state: str = "queued"
    done_bytes: int = 0
    total_bytes: int = 0
    error: str | None = None
    error_code: str | None = None  # the error in a stable word, which the page says in Spanish
    n_rows: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    months: dict[str, dict[str, int]] = field(default_factory=dict)
    uncertain: int = 0
    labeled_csv: bytes | None = None
    conversations_csv: bytes | None = None  # None: not LinkedIn's export, or its owner is unknown
    summary: Summary | None = None
    touched: float = field(default_factory=time.monotonic)
    cancel_requested: bool = False
    workdir: TemporaryDirectory[str] | None = field(default=None, repr=False)
    corrections: Corrections = field(default_factory=Corrections, repr=False)
    #: Each model's labels of the file (by model path), and which one the page shows.
    labelings: dict[str, Labeling] = field(default_factory=dict, repr=False)
    labeled_with: str = ""
    _foreign: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool), repr=False)
    _rows: RowsTable | None = field(default=None, repr=False)
    _conversation_index: dict[str, Conversation] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    def status(self) -> dict[str, Any]:
        fraction = 1.0 if self.state == "done" else self.done_bytes / self.total_bytes if self.total_bytes else 0.0
        return {
            "id": self.id,
            "filename": self.filename,
            "state": self.state,
            "progress": round(min(fraction, 1.0), 4),
            "rows": self.n_rows,
            "error": self.error,
            "error_code": self.error_code,
        }

    def rows_json(self, chunk: int = 1 << 20) -> Iterator[bytes]:
        """The table's data as JSON, in pieces: counts, conversations and senders, then the rows."""
        summary, table = self.summary, self._rows
        conversations = summary.conversations if summary is not None else None
        labeling = self.labelings.get(self.labeled_with)
        head: dict[str, Any] = {
            "id": self.id,
            "filename": self.filename,
            "labels": list(LABELS),
            "language_names": dict(LANGUAGE_NAMES),
            "counts": self.counts,
            "months": dict(sorted(self.months.items())),
            "uncertain": self.uncertain,
            "model": {"path": self.labeled_with, "name": labeling.name if labeling else ""},
            "corrections": {**self.corrections.state(), "examples": len(examples(self.corrections, self.source()))},
            "export": bool(summary and summary.export),
            "owner": summary.owner.name if summary is not None and summary.owner is not None else None,
            "conversations": None if conversations is None else [display_conversation(c) for c in conversations],
            "conversation_counts": None if conversations is None else ConversationSummary.of(conversations).by_intent,
            "awaiting": None if conversations is None else sum(c.awaiting_reply for c in conversations),
            "senders": [display_sender(s) for s in summary.senders] if summary is not None else [],
        }
        yield json.dumps(head, ensure_ascii=False).encode("utf-8")[:-1] + b', "rows": ['
        data = memoryview(table.data) if table is not None else memoryview(b"")
        for start in range(0, len(data), chunk):
            yield bytes(data[start : start + chunk])
        yield b"]}"

    # -- what corrections and a personal model read --
    def table_row(self, n: int) -> dict[str, Any] | None:
        """One row of the table (as the page has it), or None."""
        table = self._rows
        if table is None or not 0 <= n < len(table.starts):
            return None
        return table.row(n)

    def table_rows(self) -> Iterator[dict[str, Any]]:
        table = self._rows
        return iter(table) if table is not None else iter(())

    def conversation(self, conversation_id: str) -> Conversation | None:
        conversations = self.summary.conversations if self.summary is not None else None
        if conversations is None:
            return None
        if self._conversation_index is None:
            self._conversation_index = {c.conversation_id: c for c in conversations}
        return self._conversation_index.get(conversation_id)

    def source(self) -> Source:
        """Where corrections read their text."""

        def conversation_rows(conversation_id: str) -> tuple[list[int], list[str]] | None:
            c = self.conversation(conversation_id)
            if c is None:
                return None
            rows = [n for n in c.message_rows if (self.table_row(n) or {}).get("direction") == "incoming"]
            return rows, list(c.other_party)

        return Source(self.table_row, conversation_rows)

    @property
    def foreign(self) -> np.ndarray:
        """Which rows are not in Spanish (a labeling by another model keeps them uncertain)."""
        return self._foreign

    # -- another model's labels --
    def relabel(self, model_path: str) -> bool:
        """Show the file under the labels of MODEL_PATH, if this job has them; False if it does not."""
        with self._lock:
            labeling = self.labelings.get(model_path)
            if labeling is None or self._rows is None:
                return False
            if model_path == self.labeled_with:
                return True
            table = relabel_rows(self._rows, labeling)
            labeled_csv = relabel_csv(self.labeled_csv, labeling) if self.labeled_csv is not None else None
            summary, conversations_csv = self.summary, self.conversations_csv
            if summary is not None and summary.collector is not None:
                collector = summary.collector.rescored([labeling.scored(n) for n in range(len(labeling))])
                conversations = collector.conversations(labeling.threshold)
                summary = dataclasses.replace(
                    summary, conversations=conversations, senders=collector.senders(), threshold=labeling.threshold
                )
                out = io.StringIO(newline="")
                write_conversations(out, conversations)
                conversations_csv = out.getvalue().encode("utf-8")
            # swapped last, together: a reader sees the old file or the new one, never half of each
            self._rows, self.labeled_csv, self.summary, self.conversations_csv = (
                table,
                labeled_csv,
                summary,
                conversations_csv,
            )
            self.counts, self.months, self.uncertain = table.counts, table.months, table.uncertain
            self._conversation_index = None
            self.labeled_with = model_path
            return True

    # -- the run --
    def _progress(self, done_bytes: int, total_bytes: int, n_rows: int) -> None:
        self.done_bytes, self.total_bytes, self.n_rows = done_bytes, total_bytes, n_rows

    def _keep(self, rows: bytes, totals: Table) -> None:
        """The run is done: keep the table's rows and the labels its model gave them."""
        self.n_rows, self.counts, self.months, self.uncertain = (
            totals.n_rows,
            totals.counts,
            totals.months,
            totals.uncertain,
        )
        self._rows = RowsTable(rows, totals.starts, self.counts, self.months, self.uncertain)
        if totals.labeling is not None:
            self.labelings[totals.labeling.model] = totals.labeling
            self.labeled_with, self._foreign = totals.labeling.model, totals.foreign

    def _cleanup(self) -> None:
        if self.workdir is not None:
            self.workdir.cleanup()
            self.workdir = None


class JobStore:
    """Runs jobs on one background thread (files queue, they do not compete) and forgets old ones.

    At most ``keep`` jobs are held. To make room, the least recently used finished job that
    nobody has touched (polled, fetched, downloaded) for ``in_use_seconds`` is forgotten; when
    every slot is in use, a new job is refused with `JobsBusy` rather than evicting one.
    """

    def __init__(
        self,
        model_path: Path,
        keep: int = SERVE_KEEP_JOBS,
        ttl_seconds: float = SERVE_JOB_TTL_SECONDS,
        in_use_seconds: float = SERVE_JOB_IN_USE_SECONDS,
        max_memory_mb: float | None = SERVE_JOB_MAX_MEMORY_MB,
        on_forget: Callable[[str], None] | None = None,
    ):
        """``on_forget(job_id)`` is called when a job is forgotten (asked, or old), e.g. to stop its training."""
        self.model_path, self.keep, self.ttl_seconds = model_path, keep, ttl_seconds
        self.in_use_seconds, self.max_memory_mb = in_use_seconds, max_memory_mb
        self.on_forget = on_forget
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._runs: set[RunProcess] = set()
        self._closing = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intent-job")

    def submit(
        self, workdir: TemporaryDirectory[str] | None, input_path: Path, filename: str, options: BatchOptions
    ) -> Job:
        """Queue INPUT_PATH for classification; WORKDIR (the upload's folder) is removed when the job ends.

        Raises `JobsBusy` (WORKDIR removed) when every slot holds a job in use.
        """
        job = Job(id=secrets.token_urlsafe(12), filename=filename, workdir=workdir)
        dropped: list[Job] = []
        try:
            with self._lock:
                self._make_room(dropped)
                self._jobs[job.id] = job
        except JobsBusy:
            job._cleanup()
            raise
        finally:
            for old in dropped:  # outside the lock: stopping a training takes a moment
                self._forgotten(old)
        self._executor.submit(self._run, job, input_path, options)
        return job

    def get(self, job_id: str) -> Job | None:
        """The job, marked as in use."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                job.touched = time.monotonic()
            return job

    def remove(self, job_id: str) -> bool:
        """Forget a job; a running one is stopped at once."""
        with self._lock:
            job = self._jobs.pop(job_id, None)
        if job is None:
            return False
        self._forgotten(job)
        return True

    def _forgotten(self, job: Job) -> None:
        job.cancel_requested = True
        job.corrections.clear()
        if self.on_forget is not None:
            self.on_forget(job.id)

    def run_now(self, input_path: Path, output: Path, options: BatchOptions, conversations: bool = False) -> Summary:
        """Classify INPUT_PATH into OUTPUT in a separate process and wait (for /api/classify-file);
        ``conversations``: OUTPUT gets an export's conversations, as `classify_file` writes them.

        Raises RunCancelled if the server shuts down meanwhile, RunFailed if the run cannot finish.
        """
        run = RunProcess(
            input_path, output, self.model_path, options, max_memory_mb=self.max_memory_mb, conversations=conversations
        )
        summary, _ = self._track(run, lambda: self._closing)
        return summary

    def abort(self) -> None:
        """Stop every running classification now (the server was told to stop). Safe from a signal handler."""
        self._closing = True
        for run in list(self._runs):
            threading.Thread(target=run.kill, daemon=True).start()

    def close(self) -> None:
        """Stop everything and remove every upload still waiting: nothing is left on disk."""
        self._closing = True
        with self._lock:
            jobs = list(self._jobs.values())
            for job in jobs:
                job.cancel_requested = True
            self._jobs.clear()
        for run in list(self._runs):
            run.kill()
        self._executor.shutdown(wait=True, cancel_futures=True)
        for job in jobs:  # those still queued never ran, so never removed their upload
            job._cleanup()

    def _track(self, run: RunProcess, stopped: Any, progress: Any = None) -> Any:
        self._runs.add(run)
        try:
            if self._closing:
                raise RunCancelled
            return run.run(stopped, progress)
        finally:
            self._runs.discard(run)

    def _run(self, job: Job, input_path: Path, options: BatchOptions) -> None:
        started = time.perf_counter()
        model_path = self.model_path  # the model the page uses now; another may be chosen while this runs
        error: str | None = None
        code: str | None = None
        scratch = TemporaryDirectory(prefix="intent-job-")  # the labeled file and the table, read back into memory
        final = "failed"
        try:
            if job.cancel_requested or self._closing:
                raise RunCancelled
            job.state = "running"
            output, table = Path(scratch.name) / "labeled.csv", Path(scratch.name) / "rows.json"
            run = RunProcess(input_path, output, model_path, options, table, self.max_memory_mb)
            job.summary, totals = self._track(run, lambda: job.cancel_requested or self._closing, job._progress)
            job.labeled_csv = output.read_bytes()
            if job.summary.conversations is not None:
                conversations = io.StringIO(newline="")
                write_conversations(conversations, job.summary.conversations)
                job.conversations_csv = conversations.getvalue().encode("utf-8")
            job._keep(table.read_bytes(), totals)
            final = "done"
            log.info("job %s: %d rows in %.1fs", job.id, job.n_rows, time.perf_counter() - started)
        except RunCancelled:
            final = "cancelled"
        except RunFailed as exc:
            error, code = for_web(hide_server_paths(str(exc))), exc.code
        except RunCrashed as exc:  # a bug in the run: its message is where it happened, never data
            error, code = "internal error while classifying; see the server log", "internal"
            log.error("job %s failed: %s", job.id, exc)
        except Exception as exc:  # a bug here: say so without the message text, keep the server up
            error, code = "internal error while classifying; see the server log", "internal"
            where = "".join(traceback.format_tb(exc.__traceback__))
            log.error("job %s failed: %s\n%s", job.id, type(exc).__name__, where)
        finally:
            scratch.cleanup()
            job._cleanup()
        job.error, job.error_code = error, code
        job.state = final  # last: whoever sees a finished job also sees its upload gone

    def _make_room(self, dropped: list[Job]) -> None:
        """Forget expired jobs, and the least recently used idle one if every slot is taken (into DROPPED)."""
        now = time.monotonic()
        for job_id, job in list(self._jobs.items()):
            if job.finished and now - job.touched > self.ttl_seconds:
                dropped.append(self._jobs.pop(job_id))
        if len(self._jobs) < self.keep:
            return
        idle = [job for job in self._jobs.values() if job.finished and now - job.touched > self.in_use_seconds]
        if not idle:
            raise JobsBusy(
                f"The server is already keeping {len(self._jobs)} files that are in use or being classified. Fix: "
                "try again in a few minutes, or close the pages showing other files."
            )
        dropped.append(self._jobs.pop(min(idle, key=lambda job: job.touched).id))

"""Files the page classifies in the background, one at a time, with progress to poll.

A job owns the temporary folder its upload was saved in and removes it when classification
ends, whatever the outcome. The results (the rows for the table and the labeled CSV) are kept
in memory only, for a few files and a limited time, so nothing personal stays on disk. So are
the user's corrections, and each model's labels of the file (`intent.web.relabel`), so the
page can show the file under a personal model and back without reading it again.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import secrets
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

from intent.config import LABELS, SERVE_JOB_TTL_SECONDS, SERVE_KEEP_JOBS
from intent.errors import IntentError
from intent.io.batch import BatchOptions, Result, Summary, classify_file
from intent.io.conversations import Conversation, ConversationSummary, write_conversations
from intent.io.owner import Thread
from intent.model_io import read_metadata
from intent.web.corrections import Corrections, Source, examples
from intent.web.messages import for_web
from intent.web.relabel import Labeling, LabelingBuilder, RowsTable, relabel_csv, relabel_rows
from intent.web.rows import ColumnPicker, display_conversation, display_row, display_sender

log = logging.getLogger("intent.web")

STATES = ("queued", "running", "done", "failed", "cancelled")


class JobCancelled(Exception):
    """Raised inside a run to stop it; the run's output is discarded."""


@dataclass
class Job:
    """One uploaded file: its progress, and once done its table (as JSON), labeled CSV and conversations.

    Rows are serialised as they arrive, so a large file costs its JSON in memory, not a
    Python object per row.
    """

    id: str
    filename: str
    state: str = "queued"
    done_bytes: int = 0
    total_bytes: int = 0
    error: str | None = None
    n_rows: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    months: dict[str, dict[str, int]] = field(default_factory=dict)
    uncertain: int = 0
    labeled_csv: bytes | None = None
    conversations_csv: bytes | None = None  # None: not LinkedIn's export, or its owner is unknown
    summary: Summary | None = None
    touched: float = field(default_factory=time.monotonic)
    cancel_requested: bool = False
    corrections: Corrections = field(default_factory=Corrections, repr=False)
    #: Each model's labels of the file (by model path), and which one the page shows.
    labelings: dict[str, Labeling] = field(default_factory=dict, repr=False)
    labeled_with: str = ""
    _picker: ColumnPicker = field(default_factory=ColumnPicker, repr=False)
    _table: io.BytesIO | None = field(default_factory=io.BytesIO, repr=False)
    _starts: list[int] = field(default_factory=list, repr=False)
    _labeling: LabelingBuilder | None = field(default_factory=LabelingBuilder, repr=False)
    _foreign: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool), repr=False)
    _rows: RowsTable | None = field(default=None, repr=False)
    _conversation_index: dict[str, Conversation] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- BatchObserver --
    def progress(self, done_bytes: int, total_bytes: int) -> None:
        self.done_bytes, self.total_bytes = done_bytes, total_bytes
        if self.cancel_requested:
            raise JobCancelled

    def row(self, source: str, text: str, values: dict[str, str], result: Result, thread: Thread | None) -> None:
        r = display_row(self.n_rows, source, text, values, result, self._picker, thread)
        label = r["intent"]
        if label is not None:
            self.counts[label] += 1
            self.uncertain += r["uncertain"]
            if r["month"]:
                self.months.setdefault(r["month"], dict.fromkeys(LABELS, 0))[label] += 1
        assert self._table is not None and self._labeling is not None
        if self.n_rows:
            self._table.write(b",")
        self._starts.append(self._table.tell())
        self._table.write(json.dumps(r, ensure_ascii=False).encode("utf-8"))
        self._labeling.add(result)
        self.n_rows += 1

    def seal(self, keep: bool, model_path: Path | None = None) -> None:
        """The run ended: keep the table's rows (once, as bytes) and the labels of MODEL_PATH, or drop them."""
        if self._table is not None:
            if keep and self._labeling is not None and model_path is not None:
                self._rows = RowsTable(
                    self._table.getbuffer(),  # a view, not a copy: the buffer is final
                    np.array(self._starts, dtype=np.int64),
                    self.counts,
                    self.months,
                    self.uncertain,
                )
                name, threshold = _model_info(model_path)
                labeling, self._foreign = self._labeling.build(str(model_path), name, threshold)
                self.labelings[labeling.model] = labeling
                self.labeled_with = labeling.model
            else:
                self._table.close()
            self._table, self._labeling, self._starts = None, None, []

    # -- views --
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


class JobStore:
    """Runs jobs on one background thread (files queue, they do not compete) and forgets old ones."""

    def __init__(
        self,
        model_path: Path,
        keep: int = SERVE_KEEP_JOBS,
        ttl_seconds: float = SERVE_JOB_TTL_SECONDS,
        on_forget: Callable[[str], None] | None = None,
    ):
        """``on_forget(job_id)`` is called when a job is forgotten (asked, or old), e.g. to stop its training."""
        self.model_path, self.keep, self.ttl_seconds = model_path, keep, ttl_seconds
        self.on_forget = on_forget
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intent-job")

    def submit(
        self, workdir: TemporaryDirectory[str] | None, input_path: Path, filename: str, options: BatchOptions
    ) -> Job:
        """Queue INPUT_PATH for classification; WORKDIR (the upload's folder) is removed when the job ends."""
        job = Job(id=secrets.token_urlsafe(12), filename=filename)
        with self._lock:
            self._forget_old()
            self._jobs[job.id] = job
        self._executor.submit(self._run, job, workdir, input_path, options)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                job.touched = time.monotonic()
            return job

    def remove(self, job_id: str) -> bool:
        """Forget a job; a running one is stopped at its next chunk."""
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

    def close(self) -> None:
        with self._lock:
            for job in self._jobs.values():
                job.cancel_requested = True
            self._jobs.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _run(self, job: Job, workdir: TemporaryDirectory[str] | None, input_path: Path, options: BatchOptions) -> None:
        started = time.perf_counter()
        model_path = self.model_path  # the model the page uses now; another may be chosen while this runs
        error: str | None = None
        scratch = TemporaryDirectory(prefix="intent-job-")  # the labeled file, read back into memory
        try:
            if job.cancel_requested:
                raise JobCancelled
            job.state = "running"
            output = Path(scratch.name) / "labeled.csv"
            job.summary = classify_file(str(input_path), output, model_path, options, observer=job)
            job.labeled_csv = output.read_bytes()
            if job.summary.conversations is not None:
                table = io.StringIO(newline="")
                write_conversations(table, job.summary.conversations)
                job.conversations_csv = table.getvalue().encode("utf-8")
            final = "done"
            log.info("job %s: %d rows in %.1fs", job.id, job.n_rows, time.perf_counter() - started)
        except JobCancelled:
            final = "cancelled"
        except IntentError as exc:
            final, error = "failed", for_web(str(exc))
        except Exception as exc:  # a bug: say so without the message text, keep the server up
            final, error = "failed", "internal error while classifying; see the server log"
            tb = "".join(traceback.format_tb(exc.__traceback__))  # where, not the message (it may quote data)
            log.error("job %s failed: %s\n%s", job.id, type(exc).__name__, tb)
        finally:
            scratch.cleanup()
            if workdir is not None:
                workdir.cleanup()
        job.seal(keep=final == "done", model_path=model_path)
        job.error = error
        job.state = final  # last: whoever sees a finished job also sees its upload gone

    def _forget_old(self) -> None:
        now = time.monotonic()
        for job_id, job in list(self._jobs.items()):
            if job.finished and now - job.touched > self.ttl_seconds:
                self._forgotten(self._jobs.pop(job_id))
        finished = [job_id for job_id, job in self._jobs.items() if job.finished]
        for job_id in finished[: max(0, len(finished) - self.keep + 1)]:
            self._forgotten(self._jobs.pop(job_id))


def _model_info(path: Path) -> tuple[str, float]:
    """A model's name and uncertainty threshold, from the metadata beside it (it was loaded: it is readable)."""
    try:
        meta = read_metadata(path) or {}
    except IntentError:
        meta = {}
    return str(meta.get("name", path.stem)), float(meta.get("threshold", 0.5))

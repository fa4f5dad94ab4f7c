"""One classification run in a process of its own, for the server.

Classifying holds the GIL for long stretches; in the server's process it would starve the
event loop (no /api/health, no progress) and could not be stopped mid-chunk. In a separate,
spawned process the server only waits on a pipe: it stays responsive, a cancelled job or a
shutdown kills the run's process group at once (with its `--jobs` workers), and a watchdog
stops a run whose memory grows past the limit.

The child writes the labeled file and the page's table rows to files in the job's private
scratch folder and reports progress through the pipe; the parent reads the results back. With
the table come where each row starts in it and every row's label and probabilities (a few
numbers per row, no text), so the page can correct rows and show the file under another model
without reading it again.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
import traceback
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from intent.config import LABELS
from intent.errors import IntentError
from intent.io.batch import BatchOptions, Result, Summary, classify_file
from intent.io.owner import Thread
from intent.web.relabel import Labeling, LabelingBuilder, model_info
from intent.web.rows import ColumnPicker, display_row

#: Seconds between looks at the run: for cancellation, the watchdog and a dead child.
_POLL_SECONDS = 0.1
_RSS_EVERY_SECONDS = 0.5
#: Seconds a run's processes get to exit on SIGTERM before SIGKILL.
_GRACE_SECONDS = 2.0


class RunCancelled(Exception):
    """The run was stopped (a cancelled job, or the server shutting down)."""


class RunFailed(IntentError):
    """The run could not finish: bad input, a memory limit, or its process died. The message says which, and
    ``code`` in a stable word (the input's `DataError.code`, ``job_memory`` or ``run_died``)."""

    def __init__(self, message: str, code: str = "bad_input"):
        super().__init__(message)
        self.code = code


class RunCrashed(Exception):
    """A bug in the run's process; the message names the exception and where it was raised, never data."""


@dataclass
class Table:
    """The page's table, built as rows arrive: counts per intent and per month, and the rows as JSON."""

    n_rows: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    months: dict[str, dict[str, int]] = field(default_factory=dict)
    uncertain: int = 0
    #: Where each row's JSON starts in the table file (int64), once the run is done.
    starts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: Every row's label as the run's model gave it, and which rows are not in Spanish, once the run is done.
    labeling: Labeling | None = None
    foreign: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


class _PageObserver:
    """In the child: writes each row for the page's table to a file and reports progress to the parent."""

    def __init__(self, conn: Any, table_path: Path | None) -> None:
        self.conn = conn
        self.table = Table()
        self._picker = ColumnPicker()
        self._fh: IO[bytes] | None = table_path.open("wb") if table_path is not None else None
        self._starts = array("q")
        self._offset = 0
        self._labeling = LabelingBuilder()

    def progress(self, done_bytes: int, total_bytes: int) -> None:
        self.conn.send(("progress", done_bytes, total_bytes, self.table.n_rows))

    def row(self, source: str, text: str, values: dict[str, str], result: Result, thread: Thread | None) -> None:
        t = self.table
        if self._fh is not None:
            r = display_row(t.n_rows, source, text, values, result, self._picker, thread)
            label = r["intent"]
            if label is not None:
                t.counts[label] += 1
                t.uncertain += r["uncertain"]
                if r["month"]:
                    t.months.setdefault(r["month"], dict.fromkeys(LABELS, 0))[label] += 1
            data = json.dumps(r, ensure_ascii=False).encode("utf-8")
            if t.n_rows:
                self._fh.write(b",")
                self._offset += 1
            self._starts.append(self._offset)
            self._fh.write(data)
            self._offset += len(data)
            self._labeling.add(result)
        t.n_rows += 1

    def close(self, model_path: Path) -> None:
        """The run is done: close the table file and add where its rows start and their labels (by MODEL_PATH)."""
        if self._fh is not None:
            self._fh.close()
            self.table.starts = np.frombuffer(self._starts, dtype=np.int64).copy()
            name, threshold = model_info(model_path)
            self.table.labeling, self.table.foreign = self._labeling.build(str(model_path), name, threshold)


def watch_parent(parent: int) -> None:
    """If the server dies without stopping this run, stop it (and its workers) too."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os.killpg(0, signal.SIGKILL)


def _child(
    conn: Any,
    parent: int,
    input_path: str,
    output: Path,
    table_path: Path | None,
    model_path: Path,
    options: BatchOptions,
    conversations: bool,
) -> None:
    os.setpgid(0, 0)  # a process group of its own: killing it also kills the --jobs workers it starts
    threading.Thread(target=watch_parent, args=(parent,), daemon=True).start()
    observer = _PageObserver(conn, table_path)
    try:
        summary = classify_file(input_path, output, model_path, options, observer=observer, conversations=conversations)
        observer.close(model_path)
        conn.send(("done", summary, observer.table))
    except IntentError as exc:
        conn.send(("failed", str(exc), getattr(exc, "code", "bad_input")))
    except BaseException as exc:  # a bug: where it happened, never the message (it may quote data)
        conn.send(("crashed", type(exc).__name__, "".join(traceback.format_tb(exc.__traceback__))))
    finally:
        conn.close()


def rss_of_group(pgid: int) -> int | None:
    """The largest resident memory (bytes) of one process in the group; None where /proc is not there."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    page = os.sysconf("SC_PAGE_SIZE")
    largest = 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue  # the process ended meanwhile
        fields = stat[stat.rfind(b")") + 2 :].split()  # after "pid (name) ": state, ppid, pgrp, …
        if len(fields) > 21 and int(fields[2]) == pgid:
            largest = max(largest, int(fields[21]) * page)
    return largest


class RunProcess:
    """Classifies one input in a spawned process; `run` waits for it, `kill` stops it from any thread."""

    def __init__(
        self,
        input_path: Path,
        output: Path,
        model_path: Path,
        options: BatchOptions,
        table_path: Path | None = None,
        max_memory_mb: float | None = None,
        conversations: bool = False,
    ) -> None:
        self.input_path, self.output, self.table_path = input_path, output, table_path
        self.model_path, self.options, self.max_memory_mb = model_path, options, max_memory_mb
        self.conversations = conversations
        self._process: Any = None
        self._killed = threading.Event()

    def run(
        self,
        stopped: Callable[[], bool] = lambda: False,
        progress: Callable[[int, int, int], None] | None = None,
    ) -> tuple[Summary, Table]:
        """Start the child and wait for it; raises RunCancelled when ``stopped()`` or `kill`, RunFailed on failure."""
        if self._killed.is_set():
            raise RunCancelled
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no fork of a threaded server
        receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_child,
            args=(
                send,
                os.getpid(),
                str(self.input_path),
                self.output,
                self.table_path,
                self.model_path,
                self.options,
                self.conversations,
            ),
            name="intent-job",
        )
        try:
            self._process.start()
            send.close()  # the child holds its end: when it dies, the pipe says so
            return self._wait(receive, stopped, progress)
        finally:
            send.close()
            receive.close()
            self.kill()

    def _wait(
        self, receive: Any, stopped: Callable[[], bool], progress: Callable[[int, int, int], None] | None
    ) -> tuple[Summary, Table]:
        next_rss = 0.0
        while True:
            if receive.poll(_POLL_SECONDS):
                try:
                    message = receive.recv()
                except EOFError:  # the child closed the pipe: it ended, or was killed
                    message = ("died",)
                kind = message[0]
                if kind == "progress":
                    if progress is not None:
                        progress(*message[1:])
                    continue
                if kind == "done":
                    return message[1], message[2]
                if kind == "failed":
                    raise RunFailed(message[1], message[2])
                if kind == "crashed":
                    raise RunCrashed(f"{message[1]} in the classification process, at:\n{message[2]}")
                if self._killed.is_set() or stopped():
                    raise RunCancelled
                self._process.join(_GRACE_SECONDS)
                raise RunFailed(
                    f"the classification process stopped unexpectedly (exit code {self._process.exitcode}); "
                    "the machine may be short of memory. Fix: try again, or classify the file with "
                    "`intent classify` in a terminal.",
                    "run_died",
                )
            if self._killed.is_set() or stopped():
                raise RunCancelled
            if self.max_memory_mb is not None and time.monotonic() >= next_rss:
                next_rss = time.monotonic() + _RSS_EVERY_SECONDS
                rss = rss_of_group(self._process.pid)
                if rss is not None and rss > self.max_memory_mb * 1e6:
                    raise RunFailed(
                        f"classifying this file took more than {self.max_memory_mb:,.0f} MB of memory, the limit "
                        "for one job, so it was stopped. Fix: classify it with `intent classify` in a terminal, "
                        "or start the server with a larger --max-job-memory-mb.",
                        "job_memory",
                    )

    def kill(self) -> None:
        """Stop the run now: SIGTERM to its process group, SIGKILL after a grace period. Safe from any thread."""
        self._killed.set()
        stop_group(self._process)


def stop_group(process: Any) -> None:
    """Stop a spawned process that leads a process group of its own, and everything in that group:
    SIGTERM, SIGKILL after a grace period. Safe from any thread; does nothing to a process not started."""
    if process is None or process.pid is None:
        return
    if process.exitcode is None:
        if not _signal_group(process.pid, signal.SIGTERM):
            process.terminate()  # the child has not made its own group yet
        process.join(_GRACE_SECONDS)
        if process.exitcode is None:
            process.kill()
            process.join(_GRACE_SECONDS)
    # Workers the child left behind: the group id cannot be reused while any of them lives.
    _signal_group(process.pid, signal.SIGKILL)


def _signal_group(pgid: int, signum: int) -> bool:
    """Signal every process of a group; False when there is no such group."""
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True

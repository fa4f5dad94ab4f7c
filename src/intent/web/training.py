"""Personal models trained from the page: one at a time, each in a process of its own.

Training holds the CPU (and the GIL) for about a minute; in the server's process it would
starve every request. A spawned process does the work (`intent.learn.personal`), reports its
stage through a pipe and, as a file's classification (`intent.web.worker`), leads a process
group of its own that is killed at once if the user forgets the file or cancels, or the server
is told to stop; a watchdog stops it if its memory grows past the limit of a job.
The corrections and the file's texts travel to it through the pipe, never through a file or a
log; what comes back is the saved model's metadata and, for each row of the file, the
personal model's probabilities (no text).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import secrets
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from intent.config import LABELS, SERVE_JOB_MAX_MEMORY_MB
from intent.errors import IntentError
from intent.learn.personal import Example, PersonalSettings, check_examples
from intent.web.corrections import examples
from intent.web.jobs import Job
from intent.web.models import ServedModel
from intent.web.relabel import Labeling
from intent.web.worker import RunCancelled, rss_of_group, stop_group, watch_parent

log = logging.getLogger("intent.web")

#: Every stage of a training, in order: `intent.learn.personal.STAGES`, then saving the model and
#: labeling the file with it. The weights are rough shares of the time, for one progress bar.
STAGES: dict[str, float] = {
    "corpus": 2,
    "preprocess": 5,
    "cross_validation": 65,
    "final": 14,
    "held_out": 6,
    "save": 4,
    "relabel": 4,
}
STATES = ("running", "done", "failed", "cancelled")
#: Finished trainings kept for their page (their figures hold no text).
KEEP = 8
_POLL_SECONDS = 0.1
_RSS_EVERY_SECONDS = 0.5
_CHUNK = 500


class TrainingBusy(IntentError):
    """A personal model is already being trained: one at a time."""


@dataclass
class Training:
    """One training: its stage and progress, and once done what changed."""

    id: str
    job_id: str
    base: str  # the base model's name
    corrections: int
    state: str = "running"
    stage: str = "corpus"
    stage_progress: float = 0.0
    error: str | None = None
    result: dict[str, Any] | None = None
    model_path: str | None = None
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None
    cancel_requested: bool = False

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    def progress(self) -> float:
        if self.state == "done":
            return 1.0
        names = list(STAGES)
        done = sum(STAGES[s] for s in names[: names.index(self.stage)])
        return round((done + STAGES[self.stage] * self.stage_progress) / sum(STAGES.values()), 4)

    def status(self) -> dict[str, Any]:
        names = list(STAGES)
        current = names.index(self.stage)
        return {
            "id": self.id,
            "job": self.job_id,
            "state": self.state,
            "stage": self.stage,
            "stages": [
                {
                    "name": name,
                    "done": self.state == "done" or i < current,
                    "progress": 1.0
                    if self.state == "done" or i < current
                    else self.stage_progress
                    if i == current
                    else 0.0,
                }
                for i, name in enumerate(names)
            ],
            "progress": self.progress(),
            "corrections": self.corrections,
            "seconds": round(self.seconds if self.seconds is not None else time.monotonic() - self.started, 1),
            "error": self.error,
            "result": self.result,
        }


class Trainer:
    """Starts trainings (one at a time), keeps the last few, and stops a file's training when it is forgotten."""

    def __init__(
        self,
        folder: Path,
        settings: PersonalSettings | None = None,
        max_memory_mb: float | None = SERVE_JOB_MAX_MEMORY_MB,
    ) -> None:
        """``max_memory_mb``: the most one process of a training may use (None: no watchdog)."""
        self.folder = folder
        self.settings = settings or PersonalSettings()
        self.max_memory_mb = max_memory_mb
        self._trainings: OrderedDict[str, Training] = OrderedDict()
        self._processes: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._closing = False

    def start(self, job: Job, base: ServedModel) -> Training:
        """Train a personal model from JOB's corrections on top of BASE.

        Raises `intent.learn.personal.TooFewCorrections` (too few), `TrainingBusy` (one is running),
        `RunCancelled` (the server is stopping).
        """
        if self._closing:
            raise RunCancelled
        items = examples(job.corrections, job.source())
        check_examples(items, self.settings)
        texts = [
            str(row["text"]) if row.get("intent") is not None and str(row.get("text") or "").strip() else None
            for row in job.table_rows()
        ]
        with self._lock:
            running = [t for t in self._trainings.values() if not t.finished]
            if running:
                raise TrainingBusy(
                    "a personal model is already being trained; one at a time. Fix: wait for it to finish "
                    f"(GET /api/train/{running[0].id}), or cancel it."
                )
            training = Training(secrets.token_urlsafe(9), job.id, base.name, len(items))
            self._trainings[training.id] = training
            self._prune()
        excluded = _corrected_rows(job)
        thread = threading.Thread(
            target=self._run, args=(training, job, base, items, texts, excluded), name="intent-train", daemon=True
        )
        self._threads.append(thread)
        thread.start()
        log.info(
            "training %s: a personal model from %d corrections on %s, to be saved in %s",
            training.id,
            len(items),
            base.name,
            self.folder,
        )
        return training

    def get(self, training_id: str) -> Training | None:
        with self._lock:
            return self._trainings.get(training_id)

    def cancel(self, training_id: str) -> bool:
        training = self.get(training_id)
        if training is None:
            return False
        training.cancel_requested = True
        self._kill(training_id)
        return True

    def forget_job(self, job_id: str) -> None:
        """The file was forgotten: stop its training and drop what it found."""
        with self._lock:
            mine = [t for t in self._trainings.values() if t.job_id == job_id]
            for t in mine:
                del self._trainings[t.id]
        for t in mine:
            t.cancel_requested = True
            self._kill(t.id)

    def abort(self) -> None:
        """Stop every running training now (the server was told to stop). Safe from a signal handler."""
        self._closing = True
        with self._lock:
            running = [t for t in self._trainings.values() if not t.finished]
        for t in running:
            t.cancel_requested = True
            threading.Thread(target=self._kill, args=(t.id,), daemon=True).start()

    def close(self) -> None:
        """Stop every training and wait for their threads: no process is left behind."""
        self._closing = True
        with self._lock:
            trainings = list(self._trainings.values())
        for t in trainings:
            t.cancel_requested = True
            self._kill(t.id)
        for thread in self._threads:
            thread.join(timeout=10)

    # -- the run, on a thread that waits for the process --
    def _run(
        self,
        training: Training,
        job: Job,
        base: ServedModel,
        items: list[Example],
        texts: list[str | None],
        excluded: set[int],
    ) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no fork of a threaded server
        receive, send = context.Pipe(duplex=False)
        sha = base.metadata.get("model_sha256")
        process = context.Process(
            target=_child,
            args=(send, os.getpid(), items, str(base.path), sha, self.settings, self.folder, texts),
            name="intent-train",
        )
        final, error = "failed", None
        try:
            with self._lock:
                self._processes[training.id] = process
            if training.cancel_requested:
                raise _Cancelled
            process.start()
            send.close()
            meta, probabilities = self._wait(training, receive, process)
            labeling = Labeling.from_probabilities(
                meta["model_path"], meta["name"], float(meta["threshold"]), probabilities, job.foreign
            )
            base_labeling = job.labelings.get(str(base.path))
            if base_labeling is not None:
                _keep_where_unlabeled(labeling, base_labeling)
            job.labelings[labeling.model] = labeling
            training.model_path = meta["model_path"]
            training.result = _result(meta, base, base_labeling, labeling, excluded)
            final = "done"
            log.info(
                "training %s: personal model saved to %s in %.0fs",
                training.id,
                meta["model_path"],
                time.monotonic() - training.started,
            )
        except _Cancelled:
            final = "cancelled"
        except _Failed as exc:
            error = str(exc)
        except Exception as exc:  # a bug: where, never the data
            error = "internal error while training; see the server log"
            log.error(
                "training %s failed: %s\n%s",
                training.id,
                type(exc).__name__,
                "".join(traceback.format_tb(exc.__traceback__)),
            )
        finally:
            receive.close()
            self._kill(training.id)
            with self._lock:
                self._processes.pop(training.id, None)
        training.seconds = time.monotonic() - training.started
        training.error = error
        training.state = final  # last: whoever sees it finished sees its result

    def _wait(self, training: Training, receive: Any, process: Any) -> tuple[dict[str, Any], np.ndarray]:
        next_rss = 0.0
        while True:
            if training.cancel_requested:
                raise _Cancelled
            if not receive.poll(_POLL_SECONDS):
                if self.max_memory_mb is not None and time.monotonic() >= next_rss:
                    next_rss = time.monotonic() + _RSS_EVERY_SECONDS
                    rss = rss_of_group(process.pid)
                    if rss is not None and rss > self.max_memory_mb * 1e6:
                        raise _Failed(
                            f"training the personal model took more than {self.max_memory_mb:,.0f} MB of memory, "
                            "the limit for one job, so it was stopped. Fix: start the server with a larger "
                            "--max-job-memory-mb, or train in a terminal with the downloaded corrections "
                            "(`intent train --data`)."
                        )
                continue
            try:
                message = receive.recv()
            except EOFError:
                if training.cancel_requested:
                    raise _Cancelled from None
                raise _Failed(
                    "the training process stopped unexpectedly; the machine may be short of memory. Fix: try again."
                ) from None
            kind = message[0]
            if kind == "progress":
                training.stage, training.stage_progress = message[1], float(message[2])
            elif kind == "done":
                return message[1], message[2]
            elif kind == "failed":
                raise _Failed(message[1])
            elif kind == "crashed":
                log.error(
                    "training %s failed: %s in the training process, at:\n%s", training.id, message[1], message[2]
                )
                raise _Failed("internal error while training; see the server log")

    def _kill(self, training_id: str) -> None:
        with self._lock:
            process = self._processes.get(training_id)
        stop_group(process)  # the process and any fold workers it started

    def _prune(self) -> None:
        finished = [t.id for t in self._trainings.values() if t.finished]
        for training_id in finished[: max(0, len(finished) - KEEP + 1)]:
            del self._trainings[training_id]


class _Cancelled(Exception):
    pass


class _Failed(Exception):
    pass


def _corrected_rows(job: Job) -> set[int]:
    """Rows the corrections cover: corrected messages, and the other party's messages of corrected conversations."""
    rows: set[int] = set()
    source = job.source()
    for target, _ in job.corrections.items():
        if target.kind == "row":
            assert isinstance(target.key, int)
            rows.add(target.key)
        else:
            found = source.conversation_rows(str(target.key))
            if found is not None:
                rows.update(found[0])
    return rows


def _keep_where_unlabeled(labeling: Labeling, base: Labeling) -> None:
    """A row the base model labeled but whose text is blank once repaired keeps the base model's label."""
    missing = (labeling.labels < 0) & (base.labels >= 0)
    labeling.labels[missing] = base.labels[missing]
    labeling.probabilities[missing] = base.probabilities[missing]
    labeling.uncertain[missing] = base.uncertain[missing]


def _result(
    meta: dict[str, Any], base: ServedModel, before: Labeling | None, after: Labeling, excluded: set[int]
) -> dict[str, Any]:
    """What the page shows when a training ends: the figures, and the other rows whose label changes."""
    p = meta["personal"]
    changed: list[dict[str, Any]] = []
    if before is not None:
        differs = np.flatnonzero((before.labels != after.labels) & (before.labels >= 0) & (after.labels >= 0))
        changed = [
            {"n": int(n), "before": before.label(int(n)), "after": after.label(int(n))}
            for n in differs
            if int(n) not in excluded
        ]
    return {
        "model": {
            "name": meta["name"],
            "path": meta["model_path"],
            "card": meta["card_path"],
            "folder": str(Path(meta["model_path"]).parent),
            "sha256": meta["model_sha256"],
            "threshold": meta["threshold"],
        },
        "corrections": p["corrections"],
        "counts": p["counts"],
        "weight": p["weight"],
        "folds": p["folds"],
        "grouped_by": p["grouped_by"],
        "base": {"name": base.name, "kind": base.kind, "right": p["base_right"], "sure": p["base_sure_right"]},
        "personal": {"right": p["personal_right"], "sure": p["personal_sure_right"]},
        "held_out": p["held_out"],
        "changed": {
            "count": len(changed),
            "compared": sum(1 for n in np.flatnonzero(after.labels >= 0) if int(n) not in excluded),
            "rows": changed,
        },
    }


# ---- in the training process ----------------------------------------------------------


def _child(
    conn: Any,
    parent: int,
    items: list[Example],
    base_path: str,
    base_sha256: str | None,
    settings: PersonalSettings,
    folder: Path,
    texts: list[str | None],
) -> None:
    os.setpgid(0, 0)  # a group of its own: stopping it also stops any fold workers it starts
    threading.Thread(target=watch_parent, args=(parent,), daemon=True).start()
    try:
        from intent.api import load_model
        from intent.learn.personal import save, train_personal

        def progress(stage: str, fraction: float) -> None:
            conn.send(("progress", stage, fraction))

        personal = train_personal(items, load_model(base_path), settings, progress, base_sha256=base_sha256)
        progress("save", 0.0)
        meta = save(personal, folder)
        progress("relabel", 0.0)
        probabilities = np.full((len(texts), len(LABELS)), np.nan)
        todo = [i for i, text in enumerate(texts) if text is not None]
        for start in range(0, len(todo), _CHUNK):
            chunk = todo[start : start + _CHUNK]
            probabilities[chunk] = personal.model.predict_proba([texts[i] or "" for i in chunk])
            progress("relabel", min(1.0, (start + len(chunk)) / len(todo)))
        conn.send(("done", meta, probabilities))
    except IntentError as exc:
        conn.send(("failed", str(exc)))
    except BaseException as exc:  # a bug: where it happened, never the message (it may quote data)
        conn.send(("crashed", type(exc).__name__, "".join(traceback.format_tb(exc.__traceback__))))
    finally:
        conn.close()

"""The local web page and its JSON API (FastAPI).

The model in use (`intent.web.models.ModelSlot`) is loaded when the app is built and shared by
every request; the page may switch it to a personal model. Files are classified in a separate
process each (`intent.web.worker`), personal models are trained in another (`intent.web.training`).
Uploads are saved to a temporary folder that is removed as soon as the file is classified;
results and corrections live in memory. No response or log line carries message text, request
bodies or the server's own paths.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from intent import __version__
from intent.api import explain
from intent.config import (
    LABEL_NAMES_ES,
    LABELS,
    PERSONAL_DIR_NAME,
    SAMPLE_EXPORT,
    SERVE_JOB_MAX_MEMORY_MB,
    SERVE_MAX_CHARS,
    SERVE_MAX_TEXTS,
    SERVE_MAX_UPLOAD_MB,
    SERVE_UNPACKED_FACTOR,
    default_model_path,
)
from intent.errors import ColumnError, DataError, IntentError, ModelLoadError
from intent.io.batch import BatchOptions, check_inputs
from intent.io.excel_es import spanish_excel_csv
from intent.learn.personal import PersonalSettings, TooFewCorrections
from intent.text.language import SUPPORTED
from intent.text.normalize import has_content
from intent.web.corrections import Target, check_target, corrections_csv, examples
from intent.web.jobs import Job, JobsBusy, JobStore, hide_server_paths
from intent.web.limits import (
    BodyLimitMiddleware,
    ErrorShieldMiddleware,
    SameOriginMiddleware,
    SecurityHeadersMiddleware,
)
from intent.web.messages import for_web
from intent.web.models import ModelSlot
from intent.web.schemas import (
    ClassifyRequest,
    ClassifyResponse,
    CorrectionRequest,
    CorrectionsState,
    ErrorResponse,
    ExplainRequest,
    ExplainResponse,
    HealthResponse,
    JobStatus,
    PredictionOut,
    TrainingStatus,
    TrainRequest,
    UseModelRequest,
    UseModelResponse,
)
from intent.web.training import Trainer, TrainingBusy
from intent.web.worker import RunCancelled, RunFailed

log = logging.getLogger("intent.web")

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Host names a loopback server answers to; any other (DNS rebinding) is refused.
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]

_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "A state-changing request from another site (code cross_site)."},
    413: {"model": ErrorResponse, "description": "The upload, the texts or their characters are over the limit."},
    422: {"model": ErrorResponse, "description": "Unreadable input, or the text column cannot be told."},
}
_JOB_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    429: {"model": ErrorResponse, "description": "Every slot holds a file in use (code busy): try again later."},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such file or training."}
}
_CROSS_SITE: dict[int | str, dict[str, Any]] = {403: _ERRORS[403]}
_CORRECTION_ERRORS: dict[int | str, dict[str, Any]] = {
    **_CROSS_SITE,
    **_NOT_FOUND,
    409: {"model": ErrorResponse, "description": "The file is not classified yet (code `not_ready`)."},
    422: {"model": ErrorResponse, "description": "No such row or conversation, or nothing to learn from it."},
}
_TRAIN_ERRORS: dict[int | str, dict[str, Any]] = {
    **_CROSS_SITE,
    **_NOT_FOUND,
    409: {
        "model": ErrorResponse,
        "description": "A training is already running (code `training_busy`: one at a time), or the file is not "
        "classified yet (`not_ready`).",
    },
    422: {
        "model": ErrorResponse,
        "description": "Too few corrections (code `too_few_corrections`; the minimum is in GET /api/health), or "
        "personal models cannot be trained here.",
    },
}


@dataclass(frozen=True)
class ServeSettings:
    """What `intent serve` was started with."""

    model_path: Path | None = None
    max_upload_mb: float = SERVE_MAX_UPLOAD_MB
    max_texts: int = SERVE_MAX_TEXTS
    max_chars: int = SERVE_MAX_CHARS  # characters in one /api/classify or /api/explain request, all texts together
    jobs: int = 1  # worker processes per uploaded file (as `intent classify --jobs`), and folds trained at once
    max_job_memory_mb: float | None = SERVE_JOB_MAX_MEMORY_MB  # per process of a job; None: no watchdog
    allowed_hosts: list[str] | None = None  # None: any host (the server is not on loopback)
    personal_dir: Path | None = None  # where personal models are saved (None: ./intent-personal)
    personal: PersonalSettings | None = None  # how they are trained (None: the shipped corpus and settings)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1_000_000)


class LimitExceeded(DataError):
    """A request over a configured limit (answered with 413 and ``code``)."""

    def __init__(self, message: str, code: str = "too_large"):
        super().__init__(message)
        self.code = code


class Conflict(IntentError):
    """A request the server's state does not allow now (answered with 409 and ``code``)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def _not_json(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a JSON number", name, 0)


class _StrictJSONRequest(Request):
    """A request whose JSON body may not hold NaN or Infinity: Python's reader accepts them, JSON has neither."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_constant=_not_json)
        return self._json


class _StrictJSONRoute(APIRoute):
    def get_route_handler(self) -> Any:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(_StrictJSONRequest(request.scope, request.receive, request._send))

        return strict


_HTTP_CODES = {400: "bad_input", 404: "not_found", 405: "method_not_allowed", 409: "not_ready", 503: "shutting_down"}


def _validation_message(exc: RequestValidationError) -> str:
    """What is wrong with a request, by field, without echoing what was sent (it may be message text)."""
    problems = []
    for error in exc.errors()[:5]:
        if error.get("type") == "json_invalid":
            problems.append(f"the body is not valid JSON ({error.get('ctx', {}).get('error', 'cannot be read')})")
            continue
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return "The request is not valid: " + "; ".join(problems) + ". Fix: see the schema at /api/openapi.json."


def create_app(settings: ServeSettings | None = None) -> FastAPI:
    """Build the app: load the model (a bad model fails here, before serving), then wire the routes."""
    settings = settings or ServeSettings()
    slot = ModelSlot(settings.model_path or default_model_path())
    personal_dir = (settings.personal_dir or Path(PERSONAL_DIR_NAME)).expanduser().resolve()
    personal = settings.personal or PersonalSettings(jobs=settings.jobs)
    trainer = Trainer(personal_dir, personal, max_memory_mb=settings.max_job_memory_mb)
    jobs = JobStore(slot.current.path, max_memory_mb=settings.max_job_memory_mb, on_forget=trainer.forget_job)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        trainer.close()
        jobs.close()

    app = FastAPI(
        title="intent",
        version=__version__,
        description=(
            "What does the sender of a Spanish LinkedIn message want? Labels: "
            + ", ".join(LABELS)
            + ". Runs on this machine; no message leaves it."
        ),
        docs_url=None,  # Swagger UI would come from a CDN; the schema is served as JSON instead
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.jobs, app.state.trainer = jobs, trainer

    def abort() -> None:
        """Stop every running classification and training now (`intent serve` was told to stop)."""
        trainer.abort()
        jobs.abort()

    app.state.abort = abort  # called from the signal handler: running processes stop at once
    app.router.route_class = _StrictJSONRoute
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_upload_bytes)
    app.add_middleware(SameOriginMiddleware)
    if settings.allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(ErrorShieldMiddleware)

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> JSONResponse:
        detail = for_web(hide_server_paths(str(exc)))
        if isinstance(exc, LimitExceeded):
            return JSONResponse({"detail": detail, "code": exc.code}, status_code=413)
        if isinstance(exc, ColumnError):
            return JSONResponse({"detail": detail, "code": "text_column", "columns": exc.columns}, status_code=422)
        if isinstance(exc, TooFewCorrections):
            return JSONResponse({"detail": detail, "code": "too_few_corrections"}, status_code=422)
        return JSONResponse({"detail": detail, "code": exc.code}, status_code=422)

    @app.exception_handler(JobsBusy)
    async def busy(request: Request, exc: JobsBusy) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "code": "busy"}, status_code=429, headers={"Retry-After": "60"})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_message(exc), "code": "bad_input"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse({"detail": exc.detail, "code": code}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "code": exc.code}, status_code=409)

    @app.exception_handler(TrainingBusy)
    async def training_busy(request: Request, exc: TrainingBusy) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "code": "training_busy"}, status_code=409)

    # ---- the page ----

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # ---- the API ----

    @app.get("/api/health", response_model=HealthResponse, tags=["api"])
    def health() -> dict[str, Any]:
        """The model in use (shipped, personal or custom), the labels, the limits, and where personal models go."""
        return {
            "status": "ok",
            "model": slot.info(),
            "labels": list(LABELS),
            "label_names": dict(LABEL_NAMES_ES),
            "limits": {
                "max_upload_bytes": settings.max_upload_bytes,
                "max_texts": settings.max_texts,
                "max_chars": settings.max_chars,
            },
            "personal": {
                "dir": str(personal_dir),
                "min_corrections": personal.min_corrections,
                "weight": personal.weight,
            },
        }

    def _check_chars(n_chars: int) -> None:
        if n_chars > settings.max_chars:
            raise LimitExceeded(
                f"The request holds {n_chars:,} characters of text; the limit is {settings.max_chars:,}. Fix: send "
                "fewer or shorter texts per request, upload a file to /api/classify-file, or start the server "
                "with a larger --max-chars."
            )

    @app.post("/api/classify", response_model=ClassifyResponse, responses=_ERRORS, tags=["api"])
    def classify(body: ClassifyRequest) -> dict[str, Any]:
        """Label a list of texts: label, confidence, probabilities, uncertain, status and language."""
        if len(body.texts) > settings.max_texts:
            raise LimitExceeded(
                f"{len(body.texts)} texts in one request; the limit is {settings.max_texts}. Fix: send them in "
                f"batches of {settings.max_texts}, or upload a file to /api/classify-file.",
                "too_many_texts",
            )
        _check_chars(sum(len(text) for text in body.texts))
        served = slot.current
        predictions = served.model.with_threshold(body.threshold).classify(
            body.texts, SUPPORTED if body.language_id else None
        )
        return {"model": served.name, "predictions": [PredictionOut(**p.__dict__) for p in predictions]}

    @app.post("/api/explain", response_model=ExplainResponse, responses=_ERRORS, tags=["api"])
    def explain_text(body: ExplainRequest) -> dict[str, Any]:
        """The words and character groups that pushed a message towards its label (or each label)."""
        _check_chars(len(body.text))
        if not has_content(body.text):
            raise DataError("The text is empty once cleaned: there is nothing to explain.")
        return explain(body.text, model=slot.current.model, top=body.top, all_labels=body.all_labels).to_dict()

    @app.post(
        "/api/classify-file",
        responses={**_ERRORS, 200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
        response_class=FileResponse,
        tags=["api"],
    )
    def classify_upload(
        file: Annotated[
            UploadFile, File(description="A CSV, or LinkedIn's export .zip / messages.csv / Invitations.csv")
        ],
        text_column: Annotated[str | None, Form(description="Column holding the text, if not detected")] = None,
        format: Annotated[
            Literal["csv", "excel", "jsonl"], Form(description="csv, excel (BOM and ';') or jsonl")
        ] = "csv",
        threshold: Annotated[float | None, Form(ge=0.0, le=1.0, allow_inf_nan=False)] = None,
        table: Annotated[
            Literal["messages", "conversations"],
            Form(description="messages: one row per message; conversations: one row per conversation of an export"),
        ] = "messages",
        owner: Annotated[str | None, Form(description="Whose export it is (name or profile URL), if not found")] = None,
    ) -> FileResponse:
        """Upload a file, get it back labeled: every row with all its columns plus the intent columns, or
        (``table=conversations``, LinkedIn's export only) one row per conversation with what the other party wants."""
        workdir, path = _save_upload(file, settings)
        try:
            options = BatchOptions(
                text_column=text_column or None,
                fmt="jsonl" if format == "jsonl" else "csv",
                excel=format == "excel",
                threshold=threshold,
                jobs=settings.jobs,
                owner=owner or None,
            )
            _check_unpacked(path, options, settings)
            suffix = ".jsonl" if format == "jsonl" else ".csv"
            output = Path(workdir.name) / f"labeled{suffix}"
            summary = jobs.run_now(path, output, options, conversations=table == "conversations")
        except RunFailed as exc:
            workdir.cleanup()
            raise DataError(str(exc), exc.code) from None
        except RunCancelled:
            workdir.cleanup()
            raise HTTPException(503, "The server is shutting down; the file was not classified.") from None
        except BaseException:
            workdir.cleanup()
            raise
        headers = {
            "X-Intent-Rows": str(summary.rows),
            "X-Intent-Uncertain": str(summary.uncertain),
            **{f"X-Intent-Count-{label}": str(summary.labels[label]) for label in LABELS},
        }
        if summary.conversations is not None:
            headers["X-Intent-Conversations"] = str(len(summary.conversations))
            headers["X-Intent-Awaiting-Reply"] = str(sum(c.awaiting_reply for c in summary.conversations))
        return FileResponse(
            output,
            media_type="application/x-ndjson" if format == "jsonl" else "text/csv; charset=utf-8",
            headers={**headers, "Content-Disposition": _attachment(_download_name(file.filename, format, table))},
            background=BackgroundTask(workdir.cleanup),
        )

    # ---- background jobs, for the page ----

    @app.post("/api/jobs", status_code=202, response_model=JobStatus, responses=_JOB_ERRORS, tags=["page"])
    def start_job(
        file: Annotated[UploadFile, File()],
        text_column: Annotated[str | None, Form()] = None,
        owner: Annotated[str | None, Form(description="Whose export it is (name or profile URL), if not found")] = None,
    ) -> dict[str, Any]:
        """Start classifying an upload in the background; poll GET /api/jobs/{id} for progress."""
        workdir, path = _save_upload(file, settings)
        try:
            options = BatchOptions(text_column=text_column or None, jobs=settings.jobs, owner=owner or None)
            _check_unpacked(path, options, settings)
        except BaseException:
            workdir.cleanup()
            raise
        return jobs.submit(workdir, path, _display_name(file.filename), options).status()

    @app.post("/api/jobs/sample", status_code=202, response_model=JobStatus, responses=_JOB_ERRORS, tags=["page"])
    def start_sample_job() -> dict[str, Any]:
        """Classify the small sample LinkedIn export shipped with intent (to see the page work)."""
        return jobs.submit(None, SAMPLE_EXPORT, "ejemplo de LinkedIn", BatchOptions(jobs=settings.jobs)).status()

    def _job(job_id: str) -> Job:
        job = jobs.get(job_id)
        if job is None:
            raise HTTPException(
                404, "No such job: it finished long ago or the server restarted. Upload the file again."
            )
        return job

    @app.get("/api/jobs/{job_id}", response_model=JobStatus, tags=["page"])
    def job_status(job_id: str) -> dict[str, Any]:
        return _job(job_id).status()

    @app.get("/api/jobs/{job_id}/rows", tags=["page"])
    def job_rows(job_id: str) -> Response:
        """The classified rows for the table, with counts per intent and per month, and an export's
        conversations and senders."""
        job = _ready(_job(job_id))
        return StreamingResponse(job.rows_json(), media_type="application/json")

    @app.get("/api/jobs/{job_id}/download", tags=["page"])
    def job_download(
        job_id: str,
        format: Annotated[Literal["csv", "excel"], Query()] = "csv",
        table: Annotated[Literal["messages", "conversations"], Query()] = "messages",
    ) -> Response:
        """The labeled CSV (``table=messages``) or the conversation table (``table=conversations``), exactly as
        `intent classify` (with ``--conversations``) writes it: plain, or for Excel in Spanish."""
        job = _ready(_job(job_id))
        plain = job.labeled_csv if table == "messages" else job.conversations_csv
        if plain is None:
            raise HTTPException(
                404, "This file has no conversations: it is not LinkedIn's export, or whose export it is is unknown."
            )
        data = plain if format == "csv" else spanish_excel_csv(plain, table)
        return Response(
            data,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": _attachment(_download_name(job.filename, format, table))},
        )

    @app.delete("/api/jobs/{job_id}", status_code=204, tags=["page"])
    def job_delete(job_id: str) -> Response:
        """Forget a job's results now (a running job is stopped), its corrections, and a training from them."""
        if not jobs.remove(job_id):
            raise HTTPException(404, "No such job.")
        return Response(status_code=204)

    # ---- teaching it: corrections and a personal model ----

    def _corrections_state(job: Job) -> dict[str, Any]:
        distinct = len(examples(job.corrections, job.source()))
        return {**job.corrections.state(), "examples": distinct, "min_for_training": personal.min_corrections}

    @app.post(
        "/api/jobs/{job_id}/corrections",
        response_model=CorrectionsState,
        responses=_CORRECTION_ERRORS,
        tags=["teach"],
    )
    def set_correction(job_id: str, body: CorrectionRequest) -> dict[str, Any]:
        """Set the right label of a message (``row``) or a conversation (``conversation``), or clear it
        (``label``: null). Corrections stay with the file, in memory, until it is forgotten."""
        job = _done(_job(job_id))
        target = Target("row", body.row) if body.row is not None else Target("conversation", str(body.conversation))
        if body.label is not None:
            check_target(target, job.source())
        job.corrections.set(target, body.label)
        return _corrections_state(job)

    @app.get(
        "/api/jobs/{job_id}/corrections",
        responses={**_CORRECTION_ERRORS, 200: {"content": {"text/csv": {}}}},
        response_class=Response,
        tags=["teach"],
    )
    def download_corrections(job_id: str) -> Response:
        """The corrections as CSV (``text,label``, one row per corrected message or conversation), which
        `intent train --data` reads as is."""
        job = _done(_job(job_id))
        stem = Path(_display_name(job.filename)).stem or "mensajes"
        return Response(
            corrections_csv(examples(job.corrections, job.source())),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": _attachment(f"{stem}-correcciones.csv")},
        )

    @app.post("/api/train", status_code=202, response_model=TrainingStatus, responses=_TRAIN_ERRORS, tags=["teach"])
    def start_training(body: TrainRequest) -> dict[str, Any]:
        """Train a personal model in the background from a file's corrections: the shipped corpus plus the
        corrections (each weighing as several corpus messages), with the model in use's design and settings.
        Poll GET /api/train/{id} for its stages and, at the end, what changed. One training at a time."""
        job = _done(_job(body.job))
        try:
            return trainer.start(job, slot.current).status()
        except RunCancelled:
            raise HTTPException(503, "The server is shutting down; no training was started.") from None

    def _training(training_id: str) -> Any:
        training = trainer.get(training_id)
        if training is None:
            raise HTTPException(404, "No such training: its file was forgotten, or the server restarted.")
        return training

    @app.get("/api/train/{training_id}", response_model=TrainingStatus, responses=_NOT_FOUND, tags=["teach"])
    def training_status(training_id: str) -> dict[str, Any]:
        """A training's stage and progress; when done, the before/after figures: on the corrected messages, how
        many the personal model gets right under cross-validation beside the base model, macro-F1 on intent's
        held-out sets, and the other rows of the file whose label changes."""
        training = _training(training_id)
        jobs.get(training.job_id)  # its file is in use while someone follows its training
        return dict(training.status())

    @app.delete("/api/train/{training_id}", status_code=204, responses=_NOT_FOUND, tags=["teach"])
    def training_cancel(training_id: str) -> Response:
        """Stop a training (nothing is saved if it has not reached its last stages)."""
        if not trainer.cancel(training_id):
            raise HTTPException(404, "No such training.")
        return Response(status_code=204)

    @app.post("/api/model", response_model=UseModelResponse, responses=_TRAIN_ERRORS, tags=["teach"])
    def use_model(body: UseModelRequest) -> dict[str, Any]:
        """Choose the model the server uses from now on (classify, explain, new files): a finished training's
        personal model, or the one it was started with. With ``job``, that file is shown under its labels."""
        path: Path | None = None
        if body.use == "personal":
            if body.training is None:
                raise DataError("use=personal needs the training whose model to use.")
            training = _training(body.training)
            if training.state != "done" or training.model_path is None:
                raise Conflict(f"The training is {training.state}, not done.", "not_ready")
            path = Path(training.model_path)
        job = _done(_job(body.job)) if body.job is not None else None
        try:
            served = slot.use(path)
        except ModelLoadError as exc:  # e.g. the saved file was moved or deleted since
            raise Conflict(str(exc), "model_unavailable") from exc
        jobs.model_path = served.path
        log.info("model in use: %s (%s)", served.name, served.kind)
        relabeled = job.relabel(str(served.path)) if job is not None else False
        return {"model": slot.info(), "relabeled": relabeled}

    return app


def _done(job: Job) -> Job:
    if job.state != "done":
        raise Conflict(
            f"The file is {job.state}, not classified yet." + (f" {job.error}" if job.error else ""), "not_ready"
        )
    return job


def _ready(job: Job) -> Job:
    if job.state != "done":
        raise HTTPException(409, f"The job is {job.state}, not done." + (f" {job.error}" if job.error else ""))
    return job


_UNSAFE = re.compile(r"[^\w.\- ]+")


def _display_name(filename: str | None) -> str:
    """The upload's base name, printable and without any folder part."""
    name = Path((filename or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:120] or "upload.csv"


def _save_upload(upload: UploadFile, settings: ServeSettings) -> tuple[TemporaryDirectory[str], Path]:
    """Copy the upload into a new private temporary folder (the caller removes it)."""
    workdir = TemporaryDirectory(prefix="intent-upload-")
    name = _UNSAFE.sub("_", _display_name(upload.filename)).strip(". ") or "upload.csv"
    path = Path(workdir.name) / name
    try:
        with path.open("wb") as fh:
            shutil.copyfileobj(upload.file, fh, 1 << 20)
        size = path.stat().st_size
        if size == 0:
            raise DataError(
                "The uploaded file is empty. Fix: choose the export .zip or a CSV with a header row.", "empty_file"
            )
        if size > settings.max_upload_bytes:
            raise LimitExceeded(_too_large_text(size, settings.max_upload_bytes, "The file"))
    except BaseException:
        workdir.cleanup()
        raise
    return workdir, path


def _check_unpacked(path: Path, options: BatchOptions, settings: ServeSettings) -> None:
    """Read the headers (a bad file or column fails now) and bound what a .zip unpacks to."""
    sources = check_inputs(str(path), options)
    unpacked = sum(source.size for source, _ in sources)
    limit = settings.max_upload_bytes * SERVE_UNPACKED_FACTOR
    if unpacked > limit:
        raise LimitExceeded(_too_large_text(unpacked, limit, "Unpacked, the files"))


def _too_large_text(size: int, limit: int, what: str) -> str:
    return (
        f"{what} hold {size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB. Fix: classify it with "
        "`intent classify` in a terminal, or start the server with a larger --max-upload-mb."
    )


def _download_name(filename: str | None, fmt: str, table: str = "messages") -> str:
    stem = Path(_display_name(filename)).stem or "mensajes"
    kind = "-conversaciones" if table == "conversations" else ""
    return f"{stem}-intent{kind}" + {"csv": ".csv", "excel": "-excel.csv", "jsonl": ".jsonl"}[fmt]


def _attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"

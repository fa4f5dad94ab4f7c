"""The local web page and its JSON API (FastAPI).

One model is loaded when the app is built and shared by every request. Files are classified
in a separate process each (`intent.web.worker`). Uploads are saved to a temporary folder that
is removed as soon as the file is classified; results live in memory. No response or log line
carries message text, request bodies or the server's own paths.
"""

from __future__ import annotations

import json
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
from intent.api import explain, load_model
from intent.config import (
    LABEL_NAMES_ES,
    LABELS,
    SAMPLE_EXPORT,
    SERVE_JOB_MAX_MEMORY_MB,
    SERVE_MAX_CHARS,
    SERVE_MAX_TEXTS,
    SERVE_MAX_UPLOAD_MB,
    SERVE_UNPACKED_FACTOR,
    default_model_path,
)
from intent.errors import ColumnError, DataError
from intent.io.batch import BatchOptions, check_inputs
from intent.io.csv_io import to_excel_csv
from intent.model_io import read_metadata
from intent.text.language import SUPPORTED
from intent.text.normalize import has_content
from intent.web.jobs import Job, JobsBusy, JobStore, hide_server_paths
from intent.web.limits import (
    BodyLimitMiddleware,
    ErrorShieldMiddleware,
    SameOriginMiddleware,
    SecurityHeadersMiddleware,
)
from intent.web.messages import for_web
from intent.web.schemas import (
    ClassifyRequest,
    ClassifyResponse,
    ErrorResponse,
    ExplainRequest,
    ExplainResponse,
    HealthResponse,
    JobStatus,
    PredictionOut,
)
from intent.web.worker import RunCancelled, RunFailed

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


@dataclass(frozen=True)
class ServeSettings:
    """What `intent serve` was started with."""

    model_path: Path | None = None
    max_upload_mb: float = SERVE_MAX_UPLOAD_MB
    max_texts: int = SERVE_MAX_TEXTS
    max_chars: int = SERVE_MAX_CHARS  # characters in one /api/classify or /api/explain request, all texts together
    jobs: int = 1  # worker processes per uploaded file (as `intent classify --jobs`)
    max_job_memory_mb: float | None = SERVE_JOB_MAX_MEMORY_MB  # per process of a job; None: no watchdog
    allowed_hosts: list[str] | None = None  # None: any host (the server is not on loopback)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1_000_000)


class LimitExceeded(DataError):
    """A request over a configured limit (answered with 413 and ``code``)."""

    def __init__(self, message: str, code: str = "too_large"):
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
    model_path = (settings.model_path or default_model_path()).resolve()
    model = load_model(model_path)
    metadata = read_metadata(model_path) or {}
    jobs = JobStore(model_path, max_memory_mb=settings.max_job_memory_mb)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
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
    app.state.jobs = jobs  # `intent serve` stops running jobs at once when it is told to stop
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
        return JSONResponse({"detail": detail, "code": "bad_input"}, status_code=422)

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

    # ---- the page ----

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # ---- the API ----

    @app.get("/api/health", response_model=HealthResponse, tags=["api"])
    def health() -> dict[str, Any]:
        """The model being served, the labels and the limits."""
        return {
            "status": "ok",
            "model": {
                "name": str(metadata.get("name", model_path.stem)),
                "version": str(metadata.get("versions", {}).get("intent", __version__)),
                "trained_at": metadata.get("trained_at"),
                "sha256": metadata.get("model_sha256"),
                "threshold": model.threshold,
            },
            "labels": list(LABELS),
            "label_names": dict(LABEL_NAMES_ES),
            "limits": {
                "max_upload_bytes": settings.max_upload_bytes,
                "max_texts": settings.max_texts,
                "max_chars": settings.max_chars,
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
        predictions = model.with_threshold(body.threshold).classify(body.texts, SUPPORTED if body.language_id else None)
        return {
            "model": str(metadata.get("name", model_path.stem)),
            "predictions": [PredictionOut(**p.__dict__) for p in predictions],
        }

    @app.post("/api/explain", response_model=ExplainResponse, responses=_ERRORS, tags=["api"])
    def explain_text(body: ExplainRequest) -> dict[str, Any]:
        """The words and character groups that pushed a message towards its label (or each label)."""
        _check_chars(len(body.text))
        if not has_content(body.text):
            raise DataError("The text is empty once cleaned: there is nothing to explain.")
        return explain(body.text, model=model, top=body.top, all_labels=body.all_labels).to_dict()

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
            raise DataError(str(exc)) from None
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
        data = plain if format == "csv" else to_excel_csv(plain)
        return Response(
            data,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": _attachment(_download_name(job.filename, format, table))},
        )

    @app.delete("/api/jobs/{job_id}", status_code=204, tags=["page"])
    def job_delete(job_id: str) -> Response:
        """Forget a job's results now (a running job is stopped)."""
        if not jobs.remove(job_id):
            raise HTTPException(404, "No such job.")
        return Response(status_code=204)

    return app


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
            raise DataError("The uploaded file is empty. Fix: choose the export .zip or a CSV with a header row.")
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

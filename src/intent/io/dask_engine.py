"""Classifying large collections on Dask: one machine or a cluster, with the same results.

The model travels once to each worker (a worker plugin holds its bytes, checks their SHA-256
and loads it once per worker process, so spaCy is built once per process too); every partition
is classified with the same code as `intent classify`, so rows, order and partitions map one to
one. A large CSV is cut into several partitions, only where a record ends (quoted fields may
span lines), so every worker has work; CSV output is written by the same writer as `intent
classify` (true/false, 4 decimals, the same quoting and formula escaping). Needs the extra:
``pip install 'intent[dask]'``.

    from intent.io.dask_engine import classify_dataframe
    labeled = classify_dataframe(ddf, "text")          # a Dask DataFrame, intent columns added
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from intent.config import LABELS, default_model_path
from intent.errors import DataError, ModelLoadError
from intent.extras import require
from intent.io.csv_io import CsvReader, detect_delimiter, detect_encoding
from intent.io.linkedin import Source, detect_layout, resolve_inputs

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd

    from intent.model import IntentModel

PLUGIN_NAME = "intent-model"
#: Rows classified at once inside a partition (the same chunk size as the local path).
PARTITION_CHUNK = 1000
#: Output columns added to every row (the same as `intent classify`).
COLUMNS = ("intent", "confidence", "uncertain", *(f"proba_{label}" for label in LABELS), "status", "language")
#: Bounds of a CSV partition's size: at least this much work per task, at most this much per worker's memory.
MIN_PARTITION_BYTES = 1 << 20
MAX_PARTITION_BYTES = 64 << 20
#: Partitions per worker when a CSV is cut (more than one, so a slow partition does not idle the others).
PARTITIONS_PER_WORKER = 4


def _require_dask() -> None:
    for module in ("dask.dataframe", "distributed", "pyarrow"):
        require(module, "dask")


# ---- the model on workers ----------------------------------------------------------------

_MODELS: dict[str, IntentModel] = {}


def _model_from_bytes(blob: bytes, sha256: str) -> IntentModel:
    """Load a model from its bytes once per process, refusing bytes that do not match their hash."""
    if sha256 not in _MODELS:
        if hashlib.sha256(blob).hexdigest() != sha256:
            raise ModelLoadError("the model bytes received by this worker do not match their SHA-256")
        from intent.model_io import load_model_file

        folder = tempfile.mkdtemp(prefix="intent-model-")
        path = Path(folder) / "model.joblib"
        path.write_bytes(blob)
        try:
            # The client checked this model (its .json, or the user's trust) before sending it, and the
            # bytes match the hash it sent: the copy needs no .json of its own.
            _MODELS[sha256] = load_model_file(path, trust=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return _MODELS[sha256]


def model_plugin(blob: bytes, sha256: str) -> Any:
    """A Dask worker plugin carrying the model's bytes: sent once per worker, loaded at its setup.

    Built on demand so that importing this module does not need Dask.
    """
    from distributed.diagnostics.plugin import WorkerPlugin

    class ModelPlugin(WorkerPlugin):
        name = PLUGIN_NAME

        def __init__(self) -> None:
            self.blob, self.sha256 = blob, sha256

        def setup(self, worker: Any) -> None:
            _model_from_bytes(self.blob, self.sha256)

    return ModelPlugin()


def _worker_model(model_path: str | None, sha256: str | None) -> IntentModel:
    if sha256 is not None and sha256 in _MODELS:
        return _MODELS[sha256]
    from intent.api import load_model

    return load_model(model_path)  # no plugin (e.g. the synchronous scheduler): load by path, cached


# ---- per partition -----------------------------------------------------------------------


def _classify_partition(
    pdf: pd.DataFrame,
    text_columns: tuple[str, ...],
    model_path: str | None,
    sha256: str | None,
    languages: tuple[str, ...] | None,
    threshold: float | None,
    empty_status: str,
    names: dict[str, str],
) -> pd.DataFrame:
    import pandas as pd

    from intent.io.batch import classify_texts

    model = _worker_model(model_path, sha256).with_threshold(threshold)
    # Joined as `Layout.text_of` joins them (Python's strip, a blank line between non-empty parts).
    parts = [["" if v is None or v is pd.NA else str(v) for v in pdf[c].tolist()] for c in text_columns]
    texts = ["\n\n".join(p.strip() for p in row if p.strip()) for row in zip(*parts, strict=True)]
    if not parts:
        texts = [""] * len(pdf)
    # A partition can hold millions of rows: classify it a chunk at a time, so memory stays bounded
    # by the chunk (one TF-IDF matrix of a whole partition would take gigabytes).
    results = []
    for start in range(0, len(texts), PARTITION_CHUNK):
        results += classify_texts(model, texts[start : start + PARTITION_CHUNK], languages)
    # Empty texts as `intent classify` reports them: the layout's status, no language.
    results = [
        (None, None, True, None, empty_status, "") if not t.strip() else r for t, r in zip(texts, results, strict=True)
    ]
    out = pdf.copy()
    out[names["intent"]] = pd.Series([r[0] for r in results], index=pdf.index, dtype="string")
    out[names["confidence"]] = pd.Series([r[1] for r in results], index=pdf.index, dtype="float64")
    out[names["uncertain"]] = pd.Series([r[2] for r in results], index=pdf.index, dtype="bool")
    for k, label in enumerate(LABELS):
        out[names[f"proba_{label}"]] = pd.Series(
            [None if r[3] is None else r[3][k] for r in results], index=pdf.index, dtype="float64"
        )
    out[names["status"]] = pd.Series([r[4] for r in results], index=pdf.index, dtype="string")
    out[names["language"]] = pd.Series([r[5] for r in results], index=pdf.index, dtype="string")
    return out


_DTYPES = {"intent": "string", "confidence": "float64", "uncertain": "bool", "status": "string", "language": "string"}


def _meta(ddf: dd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    import pandas as pd

    meta = ddf._meta.copy()
    for column in COLUMNS:
        meta[names[column]] = pd.Series(dtype=_DTYPES.get(column, "float64"))
    return meta


def classify_dataframe(
    ddf: dd.DataFrame,
    text_column: str | tuple[str, ...],
    *,
    model: str | Path | None = None,
    languages: tuple[str, ...] | None = ("es",),
    threshold: float | None = None,
    client: Any = None,
    empty_status: str = "empty",
) -> dd.DataFrame:
    """``ddf`` with the intent columns added, partition by partition (lazy, like any Dask op).

    With a distributed ``client`` (or one already active), the model is sent to each worker
    once as a plugin; otherwise every process loads it from ``model`` (default: the shipped one).
    Several text columns (e.g. ("SUBJECT", "CONTENT")) are joined with a blank line. An intent
    column whose name the data already uses gets a ``_pred`` suffix, as in `intent classify`.
    """
    from intent.io.batch import _prediction_names

    _require_dask()
    columns = (text_column,) if isinstance(text_column, str) else tuple(text_column)
    missing = [c for c in columns if c not in ddf.columns]
    if missing:
        raise DataError(f"no column {missing} in the data (columns: {', '.join(map(str, ddf.columns))}).")
    path = Path(model) if model is not None else default_model_path()
    sha256 = None
    if client is None:
        try:
            from distributed import get_client

            client = get_client()
        except (ImportError, ValueError):
            client = None
    if client is not None:
        from intent.model_io import check_model_file

        meta = check_model_file(path)  # its .json and checksum, here, before any worker unpickles it
        blob = path.read_bytes()
        sha256 = hashlib.sha256(blob).hexdigest()
        if meta is not None and meta.get("model_sha256") != sha256:
            raise ModelLoadError(f"The model file {path} changed while it was being read. Fix: run the command again.")
        client.register_plugin(model_plugin(blob, sha256))
    names = _prediction_names([str(c) for c in ddf.columns])
    return ddf.map_partitions(
        _classify_partition,
        columns,
        str(path),
        sha256,
        languages,
        threshold,
        empty_status,
        names,
        meta=_meta(ddf, names),
    )


# ---- the CLI's engine ----------------------------------------------------------------------


@dataclass
class DaskRun:
    rows: int
    partitions: int
    seconds: float
    output: Path

    def format(self) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        return (
            f"intent: {self.rows:,} rows in {self.partitions} partitions classified on Dask in {self.seconds:.1f}s "
            f"({rate:,.0f} messages/s) -> {self.output}/"
        )


@dataclass(frozen=True)
class CsvPart:
    """Bytes ``start``..``end`` of a CSV file: whole records only, the first on line ``line``."""

    path: str
    start: int
    end: int
    line: int
    encoding: str
    delimiter: str
    columns: tuple[str, ...]


def _lines(fh: BinaryIO, encoding: str, consumed: list[int]) -> Iterator[str]:
    """The file's lines decoded, counting in ``consumed[0]`` the bytes handed out so far.

    Lines end at LF, CRLF or a lone CR (old Mac files), as `intent classify` reads them: a file
    iterated by LF alone would hand csv.reader a CR-only file as one line it refuses.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    for block in fh:
        for raw in block.splitlines(keepends=True):  # bytes split at CR, LF and CRLF only
            consumed[0] += len(raw)
            yield decoder.decode(raw)


def csv_parts(path: Path, target_bytes: int) -> list[CsvPart]:
    """Cut a CSV into parts of about ``target_bytes``, each ending where a record ends.

    A byte count alone would cut inside a quoted field that spans lines, so the file is read once
    with the same CSV rules as `intent classify`, and a cut is made after the first record that
    reaches each target. A file that cannot be parsed stays one part (its reader names the fault).
    """
    encoding = detect_encoding(lambda: path.open("rb"))
    with path.open(encoding=encoding, newline="") as fh:
        delimiter = detect_delimiter(fh.read(64 * 1024))
    with path.open(encoding=encoding, newline="") as fh:
        columns = tuple(CsvReader(fh, path.name, delimiter).columns)
    consumed = [0]
    cuts: list[tuple[int, int]] = []  # (byte offset, line number) where each part starts
    with path.open("rb") as fh:
        reader = csv.reader(_lines(fh, encoding, consumed), delimiter=delimiter, strict=True)
        with contextlib.suppress(csv.Error, StopIteration):
            next(reader)  # the header
            cuts.append((consumed[0], reader.line_num + 1))
            for _ in reader:
                if consumed[0] - cuts[-1][0] >= target_bytes:
                    cuts.append((consumed[0], reader.line_num + 1))
    size = path.stat().st_size
    if not cuts:
        cuts = [(size, 2)]
    bounds = [(start, line) for start, line in cuts if start < size] or [cuts[0]]
    return [
        CsvPart(str(path), start, bounds[k + 1][0] if k + 1 < len(bounds) else size, line, encoding, delimiter, columns)
        for k, (start, line) in enumerate(bounds)
    ]


def read_csv_part(part: CsvPart) -> pd.DataFrame:
    """One part as a DataFrame of strings, read by `intent classify`'s CSV reader."""
    import pandas as pd

    with open(part.path, "rb") as fh:
        fh.seek(part.start)
        data = fh.read(part.end - part.start)
    text = data.decode("utf-8" if part.encoding == "utf-8-sig" else part.encoding)
    header = io.StringIO()
    csv.writer(header, delimiter=part.delimiter, lineterminator="\n").writerow(part.columns)
    name = Path(part.path).name
    reader = CsvReader(io.StringIO(header.getvalue() + text, newline=""), name, part.delimiter, on_bad_lines="skip")
    values: dict[str, list[str]] = {c: [] for c in part.columns}
    for row in reader:
        for c in part.columns:
            values[c].append(row.values[c])
    if reader.skipped:
        lines = [part.line + line - 2 for line in reader.skipped_lines]
        raise DataError(
            f"{name}, line(s) {', '.join(map(str, lines[:10]))}: malformed row(s) (more fields than the header, or a "
            "broken quote). Fix: repair them, or classify with the local engine, which can skip them "
            "(--on-bad-lines skip)."
        )
    return pd.DataFrame(values, columns=list(part.columns), dtype="string")


def partition_bytes(total_bytes: int, workers: int) -> int:
    """Partition size for ``total_bytes`` of CSV: several per worker, within the bounds above."""
    per_worker = total_bytes // max(1, workers * PARTITIONS_PER_WORKER)
    return max(MIN_PARTITION_BYTES, min(MAX_PARTITION_BYTES, per_worker))


def _read(sources: list[Source], target_bytes: int) -> dd.DataFrame:
    import dask.dataframe as dd
    import pandas as pd

    kinds = {s.kind for s in sources}
    if any(s.path is None for s in sources):
        raise DataError("--engine dask reads files on disk (CSV or Parquet), not stdin or a .zip. Fix: unpack it.")
    if len(kinds) > 1:
        raise DataError("--engine dask needs inputs of one kind: all CSV or all Parquet.")
    paths = [s.path for s in sources if s.path is not None]
    if kinds == {"parquet"}:
        return dd.read_parquet([str(p) for p in paths])
    parts = [part for path in paths for part in csv_parts(path, target_bytes)]
    columns = parts[0].columns
    for part in parts:
        if part.columns != columns:
            raise DataError(
                f"{Path(part.path).name} has other columns than {Path(parts[0].path).name}. Fix: give --engine dask "
                "files with the same header, or classify them with the local engine."
            )
    meta = pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
    return dd.from_map(read_csv_part, parts, meta=meta, enforce_metadata=False)


def _write_part(pdf: pd.DataFrame, path: str, fmt: str, input_columns: list[str], names: dict[str, str]) -> int:
    """Write one classified partition; CSV exactly as `intent classify` writes it. Returns its rows."""
    if fmt == "parquet":
        pdf.to_parquet(path, index=False)
        return len(pdf)
    import pandas as pd

    from intent.io.batch import BatchOptions, _Writer

    def text(value: Any) -> str:
        return "" if value is None or value is pd.NA or (isinstance(value, float) and value != value) else str(value)

    def number(value: Any) -> float | None:
        return None if value is None or value is pd.NA or value != value else float(value)

    proba = [names[f"proba_{label}"] for label in LABELS]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = _Writer(fh, input_columns, names, BatchOptions(fmt="csv"))
        for record in pdf.to_dict("records"):
            label = text(record[names["intent"]]) or None
            probs = None if label is None else tuple(float(record[c]) for c in proba)
            result = (
                label,
                number(record[names["confidence"]]),
                bool(record[names["uncertain"]]),
                probs,
                text(record[names["status"]]),
                text(record[names["language"]]),
            )
            writer.write({c: text(record[c]) for c in input_columns}, result)
    return len(pdf)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """No library warnings or log chatter on the user's terminal: the run's own summary says what happened."""
    loggers = [logging.getLogger(name) for name in ("distributed", "dask")]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


def run_dask(
    inputs: list[str],
    output: Path,
    *,
    model_path: Path,
    fmt: str = "parquet",
    text_column: str | None = None,
    languages: tuple[str, ...] | None = ("es",),
    threshold: float | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    force: bool = False,
    target_bytes: int | None = None,
) -> DaskRun:
    """Classify the inputs on a Dask cluster (a local one unless ``scheduler`` is given).

    Writes partitions (Parquet or CSV, ``part-00000.csv``…) into the folder ``output``, through a
    temporary folder renamed at the end: an interrupted run leaves nothing under the output name.
    A CSV is cut into parts of ``target_bytes`` (default: `partition_bytes`).
    """
    _require_dask()
    with _quiet():
        return _run_dask(
            inputs, output, model_path, fmt, text_column, languages, threshold, scheduler, workers, force, target_bytes
        )


def _run_dask(
    inputs: list[str],
    output: Path,
    model_path: Path,
    fmt: str,
    text_column: str | None,
    languages: tuple[str, ...] | None,
    threshold: float | None,
    scheduler: str | None,
    workers: int,
    force: bool,
    target_bytes: int | None,
) -> DaskRun:
    import dask
    from distributed import Client, LocalCluster

    from intent.io.batch import _prediction_names

    if output.exists() and not force:
        raise DataError(f"{output} already exists. Fix: pass --force to replace it, or choose another -o folder.")
    sources = resolve_inputs(inputs)
    total = sum(s.size for s in sources)
    ddf = _read(sources, target_bytes or partition_bytes(total, workers))
    input_columns = list(map(str, ddf.columns))
    layout = detect_layout(input_columns, sources[0].name, text_column)
    started = time.perf_counter()
    cluster = (
        None
        if scheduler
        else LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=".partial", dir=output.parent))
    try:
        with Client(scheduler or cluster) as client:
            labeled = classify_dataframe(
                ddf,
                layout.text_columns,
                model=model_path,
                languages=languages,
                threshold=threshold,
                client=client,
                empty_status=layout.empty_status,
            )
            names = _prediction_names(input_columns)
            suffix = "parquet" if fmt == "parquet" else "csv"
            writes = [
                dask.delayed(_write_part)(part, str(tmp / f"part-{i:05d}.{suffix}"), fmt, input_columns, names)
                for i, part in enumerate(labeled.to_delayed())
            ]
            rows = sum(dask.compute(*writes))
        if output.exists():
            shutil.rmtree(output) if output.is_dir() else output.unlink()
        os.replace(tmp, output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if cluster is not None:
            cluster.close()
    return DaskRun(int(rows), len(writes), time.perf_counter() - started, output)

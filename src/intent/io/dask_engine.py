"""Classifying large collections on Dask: one machine or a cluster, with the same results.

The model travels once to each worker (a worker plugin holds its bytes, checks their SHA-256
and loads it once per worker process, so spaCy is built once per process too); every partition
is classified with the same code as `intent classify`, so rows, order and partitions map one to
one. Needs the extra: ``pip install 'intent[dask]'``.

    from intent.io.dask_engine import classify_dataframe
    labeled = classify_dataframe(ddf, "text")          # a Dask DataFrame, intent columns added
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from intent.config import LABELS, default_model_path
from intent.errors import DataError, ModelLoadError
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


def _require_dask() -> None:
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise DataError(
            "--engine dask needs Dask. Fix: pip install 'intent[dask]' (or pip install 'dask[dataframe,distributed]')."
        ) from exc


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
            _MODELS[sha256] = load_model_file(path)
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
) -> pd.DataFrame:
    import pandas as pd

    from intent.io.batch import classify_texts

    model = _worker_model(model_path, sha256).with_threshold(threshold)
    parts = [pdf[c].fillna("").astype(str).str.strip() for c in text_columns]
    texts = ["\n\n".join(p for p in row if p) for row in zip(*parts, strict=True)] if parts else [""] * len(pdf)
    # A partition can hold millions of rows: classify it a chunk at a time, so memory stays bounded
    # by the chunk (one TF-IDF matrix of a whole partition would take gigabytes).
    results = []
    for start in range(0, len(texts), PARTITION_CHUNK):
        results += classify_texts(model, texts[start : start + PARTITION_CHUNK], languages)
    out = pdf.copy()
    out["intent"] = pd.Series([r[0] for r in results], index=pdf.index, dtype="string")
    out["confidence"] = pd.Series([r[1] for r in results], index=pdf.index, dtype="float64")
    out["uncertain"] = pd.Series([r[2] for r in results], index=pdf.index, dtype="bool")
    for k, label in enumerate(LABELS):
        out[f"proba_{label}"] = pd.Series(
            [None if r[3] is None else r[3][k] for r in results], index=pdf.index, dtype="float64"
        )
    statuses = [empty_status if r[4] == "empty" else r[4] for r in results]
    out["status"] = pd.Series(statuses, index=pdf.index, dtype="string")
    out["language"] = pd.Series([r[5] for r in results], index=pdf.index, dtype="string")
    return out


def _meta(ddf: dd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    meta = ddf._meta.copy()
    meta["intent"] = pd.Series(dtype="string")
    meta["confidence"] = pd.Series(dtype="float64")
    meta["uncertain"] = pd.Series(dtype="bool")
    for label in LABELS:
        meta[f"proba_{label}"] = pd.Series(dtype="float64")
    meta["status"] = pd.Series(dtype="string")
    meta["language"] = pd.Series(dtype="string")
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
    Several text columns (e.g. ("SUBJECT", "CONTENT")) are joined with a blank line.
    """
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
        blob = path.read_bytes()
        sha256 = hashlib.sha256(blob).hexdigest()
        client.register_plugin(model_plugin(blob, sha256))
    return ddf.map_partitions(
        _classify_partition,
        columns,
        str(path),
        sha256,
        languages,
        threshold,
        empty_status,
        meta=_meta(ddf),
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


def _read(sources: list[Source]) -> dd.DataFrame:
    import dask.dataframe as dd

    kinds = {s.kind for s in sources}
    if any(s.path is None for s in sources):
        raise DataError("--engine dask reads files on disk (CSV or Parquet), not stdin or a .zip. Fix: unpack it.")
    if len(kinds) > 1:
        raise DataError("--engine dask needs inputs of one kind: all CSV or all Parquet.")
    paths = [str(s.path) for s in sources]
    if kinds == {"parquet"}:
        return dd.read_parquet(paths)
    # blocksize=None: one partition per file, since quoted fields may span lines.
    return dd.read_csv(paths, dtype=str, keep_default_na=False, na_filter=False, blocksize=None)


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
) -> DaskRun:
    """Classify the inputs on a Dask cluster (a local one unless ``scheduler`` is given).

    Writes partitions (Parquet or CSV) into the folder ``output``, through a temporary folder
    renamed at the end: an interrupted run leaves nothing under the output name.
    """
    _require_dask()
    from distributed import Client, LocalCluster

    if output.exists() and not force:
        raise DataError(f"{output} already exists. Fix: pass --force to replace it, or choose another -o folder.")
    sources = resolve_inputs(inputs)
    ddf = _read(sources)
    layout = detect_layout(list(map(str, ddf.columns)), sources[0].name, text_column)
    started = time.perf_counter()
    cluster = (
        None
        if scheduler
        else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
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
            import dask

            if fmt == "parquet":
                write = labeled.to_parquet(str(tmp), write_index=False, compute=False)
            else:
                write = labeled.to_csv(str(tmp / "part-*.csv"), index=False, compute=False)
            # One pass: the row count shares the classified partitions with the write.
            _, rows = dask.compute(write, labeled.map_partitions(len).sum())
        if output.exists():
            shutil.rmtree(output) if output.is_dir() else output.unlink()
        os.replace(tmp, output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if cluster is not None:
            cluster.close()
    return DaskRun(int(rows), ddf.npartitions, time.perf_counter() - started, output)

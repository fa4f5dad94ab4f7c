"""Dask engine: the same rows, order, partitions and labels as the single-process path, on a real
local cluster with two worker processes."""

from __future__ import annotations

import csv
from pathlib import Path

import dask.dataframe as dd  # the dev extra installs Dask; the base install does not need it
import distributed
import pandas as pd
import pytest

from intent.errors import DataError
from intent.io.batch import BatchOptions, classify_file

TEXTS = [
    "no gracias",
    "curso de ventas por 99€",
    "encantada de conectar",
    "",
    "¿y tú quién eres?",
    "Hi Maria, I came across your profile and would love to connect with you.",
    "Te paso el contacto del proveedor que te comenté",
    "bórrame de tu lista por favor",
]


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def frame(n: int = 40) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"r{i:03d}" for i in range(n)], "text": [TEXTS[i % len(TEXTS)] for i in range(n)]})


@pytest.mark.slow
def test_same_results_order_and_partitions_as_local(client, mini_model_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from intent.io.dask_engine import classify_dataframe

    pdf = frame()
    ddf = dd.from_pandas(pdf, npartitions=4)
    labeled = classify_dataframe(ddf, "text", model=mini_model_path, client=client)
    assert labeled.npartitions == 4
    parts = [labeled.get_partition(i).compute() for i in range(4)]
    for i, part in enumerate(parts):  # each output partition holds exactly its input partition's rows
        assert list(part["id"]) == list(ddf.get_partition(i).compute()["id"])
    out = pd.concat(parts)
    src = tmp_path / "in.csv"
    pdf.to_csv(src, index=False)
    local = tmp_path / "local.csv"
    classify_file(str(src), local, mini_model_path, BatchOptions())
    with local.open(encoding="utf-8", newline="") as fh:
        expected = list(csv.DictReader(fh))
    assert list(out["id"]) == [r["id"] for r in expected]
    assert [x if isinstance(x, str) else "" for x in out["intent"]] == [r["intent"] for r in expected]
    assert list(out["status"]) == [r["status"] for r in expected]
    assert [f"{c:.4f}" if c == c else "" for c in out["confidence"]] == [r["confidence"] for r in expected]
    # The model went to each worker once, as a plugin.
    assert "intent-model" in client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.worker_plugins))


@pytest.mark.slow
def test_cli_dask_engine_writes_partitions(mini_model_path: Path, tmp_path: Path) -> None:
    from intent.cli import main

    parts = tmp_path / "parts"
    parts.mkdir()
    for i in range(3):
        frame(10).assign(id=lambda d, i=i: d["id"] + f"-{i}").to_parquet(parts / f"part-{i}.parquet")
    out = tmp_path / "labeled"
    assert (
        main(
            [
                "classify",
                str(parts),
                "-o",
                str(out),
                "--engine",
                "dask",
                "--jobs",
                "2",
                "--model",
                str(mini_model_path),
                "--quiet",
            ]
        )
        == 0
    )
    result = pd.read_parquet(out)
    assert len(result) == 30 and set(result["status"]) <= {"ok", "empty", "other_language"}
    assert list(result["id"])[:2] == ["r000-0", "r001-0"]
    assert main(["classify", str(parts), "-o", str(out), "--engine", "dask", "--model", str(mini_model_path)]) == 2


def test_local_engine_reads_parquet(mini_model_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "msgs.parquet"
    frame(12).to_parquet(path)
    out = tmp_path / "o.csv"
    summary = classify_file(str(path), out, mini_model_path, BatchOptions(chunk_size=5))
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert summary.rows == 12 and [r["id"] for r in rows] == [f"r{i:03d}" for i in range(12)]


def test_dask_engine_refuses_stdin_and_mixed_kinds(mini_model_path: Path, tmp_path: Path) -> None:
    from intent.io.dask_engine import run_dask

    a, b = tmp_path / "a.csv", tmp_path / "b.parquet"
    frame(3).to_csv(a, index=False)
    frame(3).to_parquet(b)
    with pytest.raises(DataError, match="one kind"):
        run_dask([str(a), str(b)], tmp_path / "out", model_path=mini_model_path)

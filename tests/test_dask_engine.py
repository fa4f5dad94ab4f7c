"""Dask engine: the same rows, order, partitions and labels as the single-process path, on a real
local cluster with two worker processes."""

from __future__ import annotations

import csv
import itertools
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


def _multiline_csv(path: Path, n: int = 60) -> list[list[str]]:
    rows = [["id", "text", "status"]]
    for i in range(n):
        text = TEXTS[i % len(TEXTS)]
        if i % 3 == 0:
            text = f'línea uno\n"citado", con coma\r\nlínea {i}\n{text}'  # quoted fields spanning lines
        rows.append([f"r{i:03d}", text, "=1+1" if i % 5 == 0 else "kept"])
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return rows


def test_a_csv_is_cut_only_where_records_end(tmp_path: Path) -> None:
    from intent.io.dask_engine import csv_parts, read_csv_part

    path = tmp_path / "in.csv"
    rows = _multiline_csv(path)
    parts = csv_parts(path, target_bytes=300)
    assert len(parts) > 5
    assert parts[0].start > 0 and parts[-1].end == path.stat().st_size
    assert all(a.end == b.start for a, b in itertools.pairwise(parts))
    frames = [read_csv_part(part) for part in parts]
    assert all(len(f) for f in frames)
    read = [list(r) for f in frames for r in f.itertuples(index=False)]
    assert read == rows[1:]  # every row once, in order, multiline texts whole


def test_a_malformed_row_is_named_by_its_line_in_the_file(tmp_path: Path) -> None:
    from intent.io.dask_engine import csv_parts, read_csv_part

    path = tmp_path / "in.csv"
    _multiline_csv(path, 30)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("x,y,z,too many\n")
    lines = path.read_text(encoding="utf-8").count("\n")
    parts = csv_parts(path, target_bytes=200)
    with pytest.raises(DataError, match=rf"in.csv, line\(s\) {lines}: malformed.*--on-bad-lines skip"):
        for part in parts:
            read_csv_part(part)


def test_partition_size_gives_every_worker_work() -> None:
    from intent.io.dask_engine import MAX_PARTITION_BYTES, MIN_PARTITION_BYTES, partition_bytes

    assert partition_bytes(100 << 20, 4) == (100 << 20) // 16  # 16 parts for 4 workers
    assert partition_bytes(10_000, 4) == MIN_PARTITION_BYTES
    assert partition_bytes(100 << 30, 2) == MAX_PARTITION_BYTES


@pytest.mark.slow
def test_dask_csv_output_is_byte_identical_to_local_classify(
    mini_model_path: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from intent.io.dask_engine import run_dask

    src = tmp_path / "in.csv"
    _multiline_csv(src)
    local = tmp_path / "local.csv"
    classify_file(str(src), local, mini_model_path, BatchOptions())
    capfd.readouterr()
    out = tmp_path / "parts"
    run = run_dask([str(src)], out, model_path=mini_model_path, fmt="csv", workers=2, target_bytes=500)
    assert run.partitions > 2 and run.rows == 60
    files = sorted(out.iterdir())
    assert [f.name for f in files][:2] == ["part-00000.csv", "part-00001.csv"]
    texts = [f.read_text(encoding="utf-8") for f in files]
    header = texts[0].split("\n", 1)[0]
    assert all(t.startswith(header + "\n") for t in texts)
    joined = header + "\n" + "".join(t.split("\n", 1)[1] for t in texts)
    assert joined == local.read_text(encoding="utf-8")  # true/false, 4 decimals, quoting, '=1+1 escaped
    assert "status_pred" in header and "'=1+1" in joined
    err = capfd.readouterr().err
    assert "Warning" not in err and "warn" not in err.lower(), err

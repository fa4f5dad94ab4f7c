"""Dask engine: the same rows, order, partitions and labels as the single-process path, on a real
local cluster with two worker processes."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import dask.dataframe as dd  # the dev extra installs Dask; the base install does not need it
import distributed
import pandas as pd
import pytest

from intent.config import LABELS
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
    with pytest.raises(DataError, match=r"^--engine dask needs inputs of one kind: all CSV or all Parquet\.$"):
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


# ---- LinkedIn's files on the Dask engine, against the local engine ------------------------------

from intent.io import dask_engine  # noqa: E402

MESSAGES = "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,DATE,SUBJECT,CONTENT,FOLDER"
OUR_COLUMNS = list(dask_engine.COLUMNS)


def messages_file(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A messages.csv as LinkedIn writes it (BOM, CRLF): (conversation, SUBJECT, CONTENT) per row."""
    lines = [MESSAGES] + [
        f'{c},,Ana,u1,Luis,2026-01-0{i + 1},"{subject}","{content}",INBOX'
        for i, (c, subject, content) in enumerate(rows)
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    return path


def invitations_file(path: Path) -> Path:
    path.write_bytes(
        "\ufeffFrom,To,Sent At,Message,Direction\r\n"
        'Ana,Luis,1/1/26,"Hola, coincidimos en el congreso",INCOMING\r\n'
        "Eva,Luis,1/2/26,,INCOMING\r\n"
        'Eva,Luis,1/3/26,"   ",OUTGOING\r\n'.encode()
    )
    return path


def linkedin_cases(tmp_path: Path) -> dict[str, Path]:
    messages = messages_file(
        tmp_path / "messages.csv",
        [("c1", "Demo", "curso de ventas por 99€"), ("c1", "", "no gracias"), ("c2", "", ""), ("c3", "Hola", "")],
    )
    invitations = invitations_file(tmp_path / "Invitations.csv")
    several = tmp_path / "several"
    several.mkdir()
    messages_file(several / "messages-2025.csv", [("c1", "Oferta", "encantada de conectar"), ("c2", "", "")])
    messages_file(several / "messages-2026.csv", [("c3", "", "bórrame de tu lista"), ("c4", "Re: hola", "vale")])
    return {"messages": messages, "invitations": invitations, "several": several}


def local_results(source: Path, model: Path, out: Path) -> list[dict[str, str]]:
    classify_file(str(source), out, model, BatchOptions())
    with out.open(encoding="utf-8", newline="") as fh:
        return [{c: r[c] for c in OUR_COLUMNS} for r in csv.DictReader(fh)]


def dask_results(out: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for part in sorted(out.iterdir()):
        with part.open(encoding="utf-8", newline="") as fh:
            rows += [{c: r[c] for c in OUR_COLUMNS} for r in csv.DictReader(fh)]
    return rows


class InProcessCluster:
    """Stands in for distributed's LocalCluster and Client: Dask's own threads run the partitions,
    in this process (everything of ours runs: reading, parts, plugin, classifying, writing)."""

    plugins: ClassVar[list[Any]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> InProcessCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def register_plugin(self, plugin: Any) -> None:
        InProcessCluster.plugins.append(plugin)

    @classmethod
    def current(cls, allow_global: bool = True) -> Any:
        raise ValueError("no distributed client: Dask schedules in this process")


@pytest.fixture
def in_process_dask(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[InProcessCluster]]:
    """Dask's synchronous scheduler runs the partitions: a thread pool would not survive the fork
    `make mutate` makes for each mutant (its threads stay in the parent, and a compute waits forever)."""
    import dask

    monkeypatch.setattr(distributed, "LocalCluster", InProcessCluster)
    monkeypatch.setattr(distributed, "Client", InProcessCluster)
    monkeypatch.setattr(InProcessCluster, "plugins", [])
    with dask.config.set(scheduler="synchronous"):
        yield InProcessCluster


@pytest.mark.parametrize("case", ["messages", "invitations", "several"])
def test_linkedin_files_give_the_local_engines_results(
    case: str, in_process_dask: type[InProcessCluster], mini_model_path: Path, tmp_path: Path
) -> None:
    """SUBJECT + CONTENT joined, an invitation without a note, several files in name order."""
    source = linkedin_cases(tmp_path)[case]
    out = tmp_path / "parts"
    run = dask_engine.run_dask([str(source)], out, model_path=mini_model_path, fmt="csv", target_bytes=60)
    got = dask_results(out)
    assert got == local_results(source, mini_model_path, tmp_path / "local.csv")
    assert run.rows == len(got) and run.partitions == len(list(out.iterdir())) >= 2 and run.output == out
    assert [p.name for p in in_process_dask.plugins] == [dask_engine.PLUGIN_NAME]
    statuses = [r["status"] for r in got]
    if case == "messages":
        assert statuses == ["ok", "ok", "empty", "ok"] and got[2]["intent"] == got[2]["confidence"] == ""
    if case == "invitations":
        assert statuses == ["ok", "no_message", "no_message"] and got[1]["language"] == ""
    if case == "several":
        assert statuses == ["ok", "empty", "ok", "ok"]


def test_the_partition_joins_subject_and_content_as_the_local_reader(
    mini_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from intent.io import batch
    from intent.io.batch import _prediction_names

    seen: list[str] = []
    real = batch.classify_texts
    monkeypatch.setattr(batch, "classify_texts", lambda m, texts, langs: seen.extend(texts) or real(m, texts, langs))
    monkeypatch.setattr(dask_engine, "PARTITION_CHUNK", 2)
    pdf = pd.DataFrame(
        {
            "SUBJECT": [" Demo ", None, "", "Hola", pd.NA],
            "CONTENT": ["curso por 99€ ", "no gracias", "", None, "  "],
            "status": ["a", "b", "c", "d", "e"],
        },
        dtype="string",
        index=range(10, 15),  # a partition's index need not start at 0
    )
    names = _prediction_names(list(pdf.columns))
    out = dask_engine._classify_partition(
        pdf, ("SUBJECT", "CONTENT"), str(mini_model_path), None, ("es",), 0.99, "no_message", names
    )
    assert seen == ["Demo\n\ncurso por 99€", "no gracias", "", "Hola", ""]
    assert list(out["status"]) == ["a", "b", "c", "d", "e"]  # the input's own column is kept
    assert list(out["status_pred"]) == ["ok", "ok", "no_message", "ok", "no_message"]
    assert list(out["uncertain"]) == [True, True, True, True, True]  # threshold 0.99: nothing is sure
    assert out["intent"].isna().tolist() == [False, False, True, False, True]
    assert out["confidence"].isna().tolist() == [False, False, True, False, True]
    assert str(out["intent"].dtype) == "string" and str(out["confidence"].dtype) == "float64"
    assert str(out["uncertain"].dtype) == "bool" and str(out["language"].dtype) == "string"
    assert str(out["status_pred"].dtype) == "string" and list(out.index) == list(pdf.index)
    probs = out[[f"proba_{label}" for label in LABELS]]
    assert probs.iloc[0].sum() == pytest.approx(1.0) and probs.iloc[2].isna().all()
    assert [bool(code) for code in out["language"]] == [True, True, False, True, False]  # none for an empty row
    no_columns = dask_engine._classify_partition(pdf, (), str(mini_model_path), None, None, None, "empty", names)
    assert list(no_columns["status_pred"]) == ["empty"] * 5


def test_classify_dataframe_adds_the_columns_lazily(mini_model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_client() -> None:
        raise ValueError("no client")

    monkeypatch.setattr(distributed, "get_client", no_client)
    from intent.io import batch

    classified: list[str] = []
    real = batch.classify_texts
    monkeypatch.setattr(batch, "classify_texts", lambda m, t, langs: classified.extend(t) or real(m, t, langs))
    pdf = frame(6).rename(columns={"id": "intent"})
    ddf = dd.from_pandas(pdf, npartitions=2)
    labeled = dask_engine.classify_dataframe(ddf, "text", model=mini_model_path, threshold=1.0)
    assert classified == []  # lazy: nothing classified (not even a sample to guess the columns) until computed
    assert list(labeled.columns) == ["intent", "text", "intent_pred", *OUR_COLUMNS[1:]]
    assert labeled.npartitions == 2
    done = labeled.compute(scheduler="sync")
    assert list(done["intent"]) == list(pdf["intent"]) and done["uncertain"].all()
    assert dict(done.dtypes) == dict(labeled.dtypes)  # the declared meta is what the partitions hold
    assert list(done["status"])[3] == "empty"  # the default empty status
    monkeypatch.setenv("INTENT_MODEL", str(mini_model_path))  # no model named: the default one
    default = dask_engine.classify_dataframe(ddf, "text").compute(scheduler="sync")
    assert list(default["intent_pred"]) == list(done["intent_pred"])
    with pytest.raises(DataError, match=r"no column \['missing'\] in the data \(columns: intent, text\)"):
        dask_engine.classify_dataframe(ddf, ("text", "missing"), model=mini_model_path)


def test_a_client_gets_the_model_as_a_plugin_once_checked(
    mini_model_path: Path, tmp_path: Path, in_process_dask: type[InProcessCluster]
) -> None:
    import hashlib

    from intent.errors import ModelLoadError

    ddf = dd.from_pandas(frame(4), npartitions=1)
    dask_engine.classify_dataframe(ddf, "text", model=mini_model_path, client=InProcessCluster())
    (plugin,) = in_process_dask.plugins
    blob = mini_model_path.read_bytes()
    assert plugin.blob == blob and plugin.sha256 == hashlib.sha256(blob).hexdigest()
    plugin.setup(worker=None)
    assert dask_engine._worker_model(None, plugin.sha256) is dask_engine._MODELS[plugin.sha256]
    with pytest.raises(ModelLoadError, match="do not match their SHA-256"):
        dask_engine._model_from_bytes(blob, "0" * 64)
    unchecked = tmp_path / "copy.joblib"
    unchecked.write_bytes(blob)  # without its .json: refused before any worker sees it
    with pytest.raises(ModelLoadError):
        dask_engine.classify_dataframe(ddf, "text", model=unchecked, client=InProcessCluster())


def test_run_dask_refuses_an_existing_output_and_cleans_up(
    mini_model_path: Path, tmp_path: Path, in_process_dask: type[InProcessCluster], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = linkedin_cases(tmp_path)["messages"]
    out = tmp_path / "parts"
    out.mkdir()
    with pytest.raises(DataError, match=r"parts already exists\. Fix: pass --force"):
        dask_engine.run_dask([str(source)], out, model_path=mini_model_path, fmt="csv")
    (out / "old.txt").write_text("old")
    dask_engine.run_dask([str(source)], out, model_path=mini_model_path, fmt="csv", force=True)
    assert [p.name for p in out.iterdir()] == ["part-00000.csv"]  # replaced whole, small input: one part

    def boom(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("a worker died")

    monkeypatch.setattr(dask_engine, "_write_part", boom)
    with pytest.raises(RuntimeError):
        dask_engine.run_dask([str(source)], tmp_path / "never", model_path=mini_model_path, fmt="csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["messages.csv", "Invitations.csv", "several", "parts"])


def test_parquet_partitions_keep_the_rows(mini_model_path: Path, tmp_path: Path, in_process_dask: Any) -> None:
    source = linkedin_cases(tmp_path)["messages"]
    out = tmp_path / "parts"
    run = dask_engine.run_dask([str(source)], out, model_path=mini_model_path, target_bytes=150)
    result = pd.read_parquet(out)
    assert run.rows == len(result) == 4 and list(result["status"]) == ["ok", "ok", "empty", "ok"]
    assert "4 rows in" in run.format() and f"-> {out}/" in run.format()


def test_dask_reads_files_on_disk_of_one_header(tmp_path: Path) -> None:
    from intent.io.linkedin import Source, resolve_inputs

    cases = linkedin_cases(tmp_path)
    with pytest.raises(DataError) as caught:
        dask_engine._read(resolve_inputs([str(cases["messages"]), str(cases["invitations"])]), target_bytes=1 << 20)
    piped = Source("stdin", lambda: io.BytesIO(b"text\nhola\n"), 11)  # type: ignore[arg-type,return-value]
    assert str(caught.value) == (
        "Invitations.csv has other columns than messages.csv. Fix: give --engine dask files with the same header, "
        "or classify them with the local engine."
    )
    with pytest.raises(
        DataError,
        match=r"^--engine dask reads files on disk \(CSV or Parquet\), not stdin or a \.zip\. Fix: unpack it\.$",
    ):
        dask_engine._read([piped], target_bytes=100)


@pytest.mark.slow
def test_cli_dask_engine_on_linkedin_files_matches_the_local_engine(mini_model_path: Path, tmp_path: Path) -> None:
    """The same, on a real local cluster of two worker processes, through `intent classify --engine dask`."""
    from intent.cli import main

    for case, source in linkedin_cases(tmp_path).items():
        out = tmp_path / f"dask-{case}"
        args = ["classify", str(source), "-o", str(out), "--engine", "dask", "--format", "csv", "--jobs", "2"]
        assert main([*args, "--model", str(mini_model_path), "--quiet"]) == 0
        assert dask_results(out) == local_results(source, mini_model_path, tmp_path / f"local-{case}.csv"), case


def test_a_missing_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from intent.errors import MissingExtraError

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingExtraError, match=r"needs distributed, which is not installed\. Fix: .*intent\[dask\]"):
        dask_engine._require_dask()


def cp1252_file(path: Path, rows: int = 12) -> list[list[str]]:
    """Excel in Spanish: cp1252, ";" between fields, CRLF, quoted fields holding ";", "," and line breaks."""
    records = [["id", "mensaje", "nota"]]
    for i in range(rows):
        text = f"línea {i}; con coma, y €\r\nsegunda línea" if i % 3 == 0 else f"mensaje {i}, sin más"
        records.append([f"r{i:02d}", text, "ñ" * (i % 4)])
    with path.open("w", encoding="cp1252", newline="") as fh:
        csv.writer(fh, delimiter=";", lineterminator="\r\n").writerows(records)
    return records


def test_parts_of_an_excel_file_read_back_whole(tmp_path: Path) -> None:
    from intent.io.csv_io import CsvReader
    from intent.io.dask_engine import csv_parts, read_csv_part

    path = tmp_path / "excel.csv"
    records = cp1252_file(path)
    parts = csv_parts(path, target_bytes=1)  # every record reaches the target: one record per part
    assert len(parts) == len(records) - 1 and all(p.end > p.start for p in parts)
    assert {(p.encoding, p.delimiter, p.columns) for p in parts} == {("cp1252", ";", ("id", "mensaje", "nota"))}
    with path.open(encoding="cp1252", newline="") as fh:
        lines = [row.line for row in CsvReader(fh, "excel.csv", ";")]
    assert [p.line for p in parts] == lines  # each part knows the line its first record starts on
    frames = [read_csv_part(p) for p in parts]
    assert [list(r) for f in frames for r in f.itertuples(index=False)] == records[1:]  # CRLF inside kept
    assert all(set(map(str, f.dtypes)) == {"string"} for f in frames)


def test_a_part_ends_at_the_first_record_that_reaches_the_target(tmp_path: Path) -> None:
    from intent.io.dask_engine import csv_parts

    path = tmp_path / "even.csv"
    path.write_bytes(b"id,text\n" + b"".join(b"%02d,abcdefg\n" % i for i in range(8)))  # records of 11 bytes
    assert [p.end - p.start for p in csv_parts(path, target_bytes=11)] == [11] * 8
    assert [p.end - p.start for p in csv_parts(path, target_bytes=12)] == [22] * 4
    assert [p.line for p in csv_parts(path, target_bytes=22)] == [2, 4, 6, 8]
    header_only = tmp_path / "header.csv"
    header_only.write_bytes(b"id,text\n")
    (part,) = csv_parts(header_only, target_bytes=1)
    assert (part.start, part.end, part.line) == (8, 8, 2)


def test_malformed_rows_of_a_part_are_listed_ten_at_most(tmp_path: Path) -> None:
    from intent.io.dask_engine import csv_parts, read_csv_part

    path = tmp_path / "bad.csv"
    path.write_text("id,text\n1,ok\n" + "x,y,z\n" * 12, encoding="utf-8")
    (part,) = csv_parts(path, target_bytes=1 << 20)
    with pytest.raises(DataError) as caught:
        read_csv_part(part)
    assert str(caught.value) == (
        "bad.csv, line(s) 3, 4, 5, 6, 7, 8, 9, 10, 11, 12: malformed row(s) (more fields than the header, or a broken "
        "quote). Fix: repair them, or classify with the local engine, which can skip them (--on-bad-lines skip)."
    )


def test_a_broken_quote_stops_the_cutting(tmp_path: Path) -> None:
    from intent.io.dask_engine import csv_parts

    path = tmp_path / "quote.csv"
    path.write_text('id,text\n1,a\n2,b\n3,"x"y\n4,c\n5,d\n', encoding="utf-8")
    parts = csv_parts(path, target_bytes=1)
    assert [p.line for p in parts] == [2, 3, 4]  # the rest, from the broken record on, is one part
    assert parts[-1].end == path.stat().st_size


def test_a_bad_header_is_named_by_its_file(tmp_path: Path) -> None:
    from intent.io.dask_engine import csv_parts

    path = tmp_path / "dupes.csv"
    path.write_text("a,a\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"^dupes\.csv: duplicate column names a\."):
        csv_parts(path, target_bytes=1)


def test_the_model_travels_as_bytes_and_loads_once(mini_model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib
    import tempfile

    monkeypatch.setattr(dask_engine, "_MODELS", {})
    folders: list[str] = []
    real = tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", lambda **kw: folders.append(real(**kw)) or folders[-1])
    blob = mini_model_path.read_bytes()
    sha = hashlib.sha256(blob).hexdigest()
    model = dask_engine._model_from_bytes(blob, sha)  # no .json beside the copy: trusted by its hash
    assert model.predict("no gracias") in LABELS and dask_engine._model_from_bytes(blob, sha) is model
    assert len(folders) == 1 and not Path(folders[0]).exists()  # the copy is gone once loaded
    assert dask_engine._worker_model(str(mini_model_path), "not-a-known-hash").threshold == model.threshold
    assert dask_engine._worker_model(None, sha) is model


def test_dask_runs_say_their_rate_and_size_their_partitions() -> None:
    from intent.io.dask_engine import MIN_PARTITION_BYTES, DaskRun, partition_bytes

    assert DaskRun(10, 2, 4.0, Path("out")).format() == (
        "intent: 10 rows in 2 partitions classified on Dask in 4.0s (2 messages/s) -> out/"
    )
    assert "(0 messages/s)" in DaskRun(10, 2, 0.0, Path("out")).format()
    assert partition_bytes(10 << 20, 0) == 10 << 20 and isinstance(partition_bytes(100 << 20, 3), int)
    assert partition_bytes(MIN_PARTITION_BYTES * 8 + 7, 2) == MIN_PARTITION_BYTES


def test_parquet_in_and_csv_out_on_dask_keep_every_column(
    mini_model_path: Path, tmp_path: Path, in_process_dask: type[InProcessCluster]
) -> None:
    source = tmp_path / "in.parquet"
    pd.DataFrame({"text": ["no gracias", None, "curso por 99€"], "n": [1.5, None, 3.0]}).to_parquet(source)
    out = tmp_path / "parts"
    dask_engine.run_dask([str(source)], out, model_path=mini_model_path, fmt="csv")
    with next(out.iterdir()).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    local = tmp_path / "local.csv"
    classify_file(str(source), local, mini_model_path, BatchOptions())
    with local.open(encoding="utf-8", newline="") as fh:
        expected = list(csv.DictReader(fh))
    assert rows == expected and rows[1]["n"] == "" and rows[1]["status"] == "empty"


# ---- the run's settings reach the cluster, the model and the files ------------------------------


class RecordingCluster(InProcessCluster):
    """InProcessCluster that remembers how the cluster and the client were made."""

    made: ClassVar[list[tuple[tuple[Any, ...], dict[str, Any]]]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        RecordingCluster.made.append((args, kwargs))


@pytest.fixture
def recording_dask(monkeypatch: pytest.MonkeyPatch, in_process_dask: Any) -> type[RecordingCluster]:
    monkeypatch.setattr(distributed, "LocalCluster", RecordingCluster)
    monkeypatch.setattr(distributed, "Client", RecordingCluster)
    monkeypatch.setattr(RecordingCluster, "made", [])
    return RecordingCluster


def test_a_local_cluster_of_worker_processes_quiet_and_on_a_free_dashboard_port(
    mini_model_path: Path, tmp_path: Path, recording_dask: type[RecordingCluster]
) -> None:
    """--jobs worker processes (not threads: the GIL), one thread each, no fixed dashboard port (8787 may
    be taken), library logs silenced; the client connects to that cluster, or to --scheduler alone."""
    import logging

    source = linkedin_cases(tmp_path)["messages"]
    dask_engine.run_dask([str(source)], tmp_path / "a", model_path=mini_model_path)
    (cluster, client) = recording_dask.made
    assert client[0][0].closed  # the local cluster is stopped with the run
    assert cluster == (
        (),
        {"n_workers": 2, "threads_per_worker": 1, "processes": True, "dashboard_address": ":0", "silence_logs": 40},
    )
    assert logging.ERROR == 40 and len(client[0]) == 1 and isinstance(client[0][0], RecordingCluster)
    recording_dask.made.clear()
    dask_engine.run_dask([str(source)], tmp_path / "b", model_path=mini_model_path, workers=3)
    assert recording_dask.made[0][1]["n_workers"] == 3
    recording_dask.made.clear()
    run = dask_engine.run_dask([str(source)], tmp_path / "c", model_path=mini_model_path, scheduler="tcp://h:8786")
    assert recording_dask.made == [(("tcp://h:8786",), {})]  # no local cluster started
    assert 0 <= run.seconds < 60


def test_force_replaces_a_file_and_a_failure_is_reported_as_itself(
    mini_model_path: Path, tmp_path: Path, in_process_dask: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--force replaces an output that is a file by the folder of parts. A failing run says why it failed,
    even when its scratch folder is gone already (a temp cleaner): cleaning up never hides the error."""
    import shutil

    source = linkedin_cases(tmp_path)["messages"]
    out = tmp_path / "out"
    out.write_text("an old file")
    dask_engine.run_dask([str(source)], out, model_path=mini_model_path, fmt="csv", force=True)
    assert [p.name for p in out.iterdir()] == ["part-00000.csv"]

    def fails(pdf: Any, path: str, *args: Any) -> int:
        shutil.rmtree(Path(path).parent)
        raise RuntimeError("a worker died")

    monkeypatch.setattr(dask_engine, "_write_part", fails)
    with pytest.raises(RuntimeError, match="a worker died"):
        dask_engine.run_dask([str(source)], tmp_path / "never", model_path=mini_model_path, fmt="csv")
    assert not (tmp_path / "never").exists()


def test_the_run_options_reach_every_row(mini_model_path: Path, tmp_path: Path, in_process_dask: Any) -> None:
    """--text-column, --threshold and languages, on Dask as in `intent classify`; parquet parts by name."""
    source = tmp_path / "in.csv"
    source.write_text("a,b\nno gracias,curso de ventas por 99€\nhola,encantada de conectar\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"^in\.csv: .*Fix: name the text column"):  # neither a nor b is a text name
        dask_engine.run_dask([str(source)], tmp_path / "x", model_path=mini_model_path)
    with pytest.raises(DataError, match=r"^in\.csv has no column 'zz'"):
        dask_engine.run_dask([str(source)], tmp_path / "x", model_path=mini_model_path, text_column="zz")
    out = tmp_path / "parts"
    options: dict[str, Any] = {"text_column": "b", "threshold": 1.0, "languages": None}
    dask_engine.run_dask([str(source)], out, model_path=mini_model_path, fmt="csv", target_bytes=1, **options)
    assert [p.name for p in sorted(out.iterdir())] == ["part-00000.csv", "part-00001.csv"]
    local = tmp_path / "local.csv"
    classify_file(str(source), local, mini_model_path, BatchOptions(**options))
    expected = local.read_text(encoding="utf-8").splitlines()
    got = [line for p in sorted(out.iterdir()) for line in p.read_text(encoding="utf-8").splitlines()[1:]]
    assert got == expected[1:]
    rows = list(csv.DictReader(io.StringIO("\n".join(expected))))
    assert [(r["uncertain"], r["language"]) for r in rows] == [("true", ""), ("true", "")]  # 1.0; no language
    default = classify_file(str(source), tmp_path / "default.csv", mini_model_path, BatchOptions(text_column="b"))
    assert default.uncertain < 2 and default.statuses == {"ok": 2}  # the model's own threshold; Spanish found
    parquet = tmp_path / "parquet"
    dask_engine.run_dask([str(source)], parquet, model_path=mini_model_path, target_bytes=1, text_column="b")
    assert [p.name for p in sorted(parquet.iterdir())] == ["part-00000.parquet", "part-00001.parquet"]


def test_the_parts_are_written_beside_the_output_and_their_parquet_holds_no_index(
    mini_model_path: Path, tmp_path: Path, in_process_dask: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The output's folder is made; its parts go first to a hidden .partial folder beside it (the same file
    system: the rename at the end is whole); a part's Parquet has the columns, no pandas index column."""
    import pyarrow.parquet as pq

    source = linkedin_cases(tmp_path)["messages"]
    folders: list[Path] = []
    real = dask_engine._write_part

    def spying(pdf: Any, path: str, *args: Any) -> int:
        folders.append(Path(path).parent)
        return real(pdf, path, *args)

    monkeypatch.setattr(dask_engine, "_write_part", spying)
    out = tmp_path / "new" / "deeper" / "parts"
    dask_engine.run_dask([str(source)], out, model_path=mini_model_path, target_bytes=150)
    (partial,) = set(folders)
    assert partial.parent == out.parent and partial.name.startswith(".parts.") and partial.name.endswith(".partial")
    assert not partial.exists() and sorted(p.name for p in out.parent.iterdir()) == ["parts"]
    files = sorted(out.iterdir())
    assert len(files) > 1
    for f in files:
        assert pq.read_schema(f).names == MESSAGES.split(",") + OUR_COLUMNS


def test_a_part_writes_missing_values_as_empty_cells_in_utf8_whatever_the_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """None, NaN and pd.NA are empty cells; the file is UTF-8 with LF line ends even where open() would
    use a cp1252 locale and CRLF (Windows), as `intent classify` writes it."""
    import builtins

    from intent.io.batch import _prediction_names

    def windows_open(file: Any, mode: str = "r", encoding: str | None = None, newline: str | None = None) -> Any:
        return builtins.open(file, mode, encoding=encoding or "cp1252", newline="\r\n" if newline is None else newline)

    monkeypatch.setattr(dask_engine, "open", windows_open, raising=False)
    names = _prediction_names(["text"])
    pdf = pd.DataFrame(
        {
            "text": pd.array(["ő emoji 🙂", None, pd.NA], dtype="object"),
            "intent": pd.array([LABELS[0], None, pd.NA], dtype="object"),
            "confidence": pd.array([0.5, None, None], dtype="Float64"),
            "uncertain": [False, True, True],
            **{f"proba_{label}": pd.array([1 / 3, None, None], dtype="Float64") for label in LABELS},
            "status": ["ok", "empty", "empty"],
            "language": ["es", "", None],
        }
    )
    part = tmp_path / "part.csv"
    assert dask_engine._write_part(pdf, str(part), "csv", ["text"], names) == 3
    assert part.read_bytes().decode("utf-8").split("\n") == [
        "text," + ",".join(OUR_COLUMNS),
        f"ő emoji 🙂,{LABELS[0]},0.5000,false,0.3333,0.3333,0.3333,ok,es",
        ",,,true,,,,empty,",
        ",,,true,,,,empty,",
        "",
    ]


def test_a_cr_only_file_is_cut_and_read_like_any_other(tmp_path: Path) -> None:
    """Old Mac files end lines with CR alone: every row is read (once found no row at all)."""
    from intent.io.dask_engine import csv_parts, read_csv_part

    path = tmp_path / "mac.csv"
    path.write_bytes(b'id,text\r1,hola\r2,"no\rgracias"\r3,vale\r')
    parts = csv_parts(path, target_bytes=5)
    assert [(p.start, p.line) for p in parts] == [(8, 2), (15, 3), (30, 5)]
    (whole,) = csv_parts(path, target_bytes=1 << 20)
    assert read_csv_part(whole).values.tolist() == [["1", "hola"], ["2", "no\rgracias"], ["3", "vale"]]
    ddf = dask_engine._read(dask_engine.resolve_inputs([str(path)]), target_bytes=5)
    assert set(map(str, ddf.dtypes)) == {"string"}  # what the frame says it holds: strings
    assert [r for p in parts for r in read_csv_part(p).values.tolist()] == [
        ["1", "hola"],
        ["2", "no\rgracias"],
        ["3", "vale"],
    ]


def test_a_header_cell_with_a_line_break_keeps_it(tmp_path: Path) -> None:
    """A header cell holding CRLF (a spreadsheet's wrapped title) is the same column as the local reader's."""
    from intent.io.dask_engine import csv_parts, read_csv_part

    path = tmp_path / "in.csv"
    path.write_bytes(b'id,"nota\r\ninterna",text\n1,a,hola\n')
    (part,) = csv_parts(path, target_bytes=1)
    assert part.columns == ("id", "nota\r\ninterna", "text")
    assert list(read_csv_part(part).columns) == ["id", "nota\r\ninterna", "text"]


def test_a_model_copy_that_cannot_be_removed_still_loads(
    mini_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's copy of the model is cleaned up on a best-effort basis: a temp cleaner that removed
    it first (or a folder it cannot delete) never fails the load. Bytes that do not match say so."""
    import hashlib
    import shutil

    from intent import model_io
    from intent.errors import ModelLoadError

    monkeypatch.setattr(dask_engine, "_MODELS", {})
    real = model_io.load_model_file

    def load_then_clean(path: Path, trust: bool = False) -> Any:
        model = real(path, trust)
        shutil.rmtree(path.parent)  # someone else removed the folder
        return model

    monkeypatch.setattr(model_io, "load_model_file", load_then_clean)
    blob = mini_model_path.read_bytes()
    sha = hashlib.sha256(blob).hexdigest()
    assert dask_engine._model_from_bytes(blob, sha).predict("no gracias") in LABELS
    with pytest.raises(ModelLoadError) as caught:
        dask_engine._model_from_bytes(blob + b"x", "0" * 64)
    assert str(caught.value) == "the model bytes received by this worker do not match their SHA-256"


def test_a_worker_classifies_with_the_plugins_model_not_a_file_it_does_not_have(
    mini_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a remote cluster the model's path is the client's: a worker uses the copy the plugin sent."""
    from intent.api import load_model
    from intent.io.batch import _prediction_names

    monkeypatch.setattr(dask_engine, "_MODELS", {"abc": load_model(mini_model_path)})
    pdf = pd.DataFrame({"text": ["no gracias"]}, dtype="string")
    names = _prediction_names(["text"])
    out = dask_engine._classify_partition(
        pdf, ("text",), "/client/only/model.joblib", "abc", None, None, "empty", names
    )
    assert list(out["status"]) == ["ok"]


def test_a_partition_of_empty_texts_has_the_declared_dtypes(mini_model_path: Path) -> None:
    """No text to classify in a whole partition: missing values, in the same dtypes as any other partition."""
    from intent.io.batch import _prediction_names

    pdf = pd.DataFrame({"text": ["", None]}, dtype="string")
    names = _prediction_names(["text"])
    out = dask_engine._classify_partition(pdf, ("text",), str(mini_model_path), None, None, None, "empty", names)
    dtypes = {c: str(out[c].dtype) for c in OUR_COLUMNS}
    assert dtypes == {c: dask_engine._DTYPES.get(c, "float64") for c in OUR_COLUMNS}
    assert out["confidence"].isna().all() and out[f"proba_{LABELS[0]}"].isna().all()


def test_an_active_client_gets_the_model_and_its_workers_use_it(
    mini_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_process_dask: type[InProcessCluster]
) -> None:
    """The client already running (`get_client`) is used: the model goes to its workers as a plugin, and the
    partitions use that copy, even where the model's file is not (a remote worker). The plugin loads the bytes
    at the worker's setup. No warning: the output's columns are declared, not guessed by running the model."""
    import shutil
    import warnings

    monkeypatch.setattr(dask_engine, "_MODELS", {})
    model = tmp_path / "copy.joblib"
    shutil.copy(mini_model_path, model)
    shutil.copy(mini_model_path.with_suffix(".json"), model.with_suffix(".json"))
    monkeypatch.setattr(distributed, "get_client", lambda: InProcessCluster())
    ddf = dd.from_pandas(frame(4), npartitions=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        labeled = dask_engine.classify_dataframe(ddf, "text", model=model)
    (plugin,) = in_process_dask.plugins
    plugin.setup(worker=None)
    assert list(dask_engine._MODELS) == [plugin.sha256]
    model.unlink()
    model.with_suffix(".json").unlink()
    assert len(labeled.compute(scheduler="sync")) == 4


def test_a_model_file_that_changes_while_read_is_refused(
    mini_model_path: Path, monkeypatch: pytest.MonkeyPatch, in_process_dask: type[InProcessCluster]
) -> None:
    from intent import model_io
    from intent.errors import ModelLoadError

    monkeypatch.setattr(model_io, "check_model_file", lambda path: {"model_sha256": "0" * 64})
    ddf = dd.from_pandas(frame(2), npartitions=1)
    with pytest.raises(ModelLoadError) as caught:
        dask_engine.classify_dataframe(ddf, "text", model=mini_model_path, client=InProcessCluster())
    assert str(caught.value) == (
        f"The model file {mini_model_path} changed while it was being read. Fix: run the command again."
    )


def test_a_part_that_starts_with_a_zero_width_space_keeps_it(tmp_path: Path) -> None:
    """U+FEFF is a BOM only at the file's start: a record starting with it (pasted text) keeps it in its part."""
    from intent.io.dask_engine import csv_parts, read_csv_part

    path = tmp_path / "in.csv"
    path.write_bytes("id,text\n1,hola\n\ufeff2,adiós\n".encode("utf-8-sig"))
    parts = csv_parts(path, target_bytes=1)
    assert parts[0].encoding == "utf-8-sig"
    assert [r for p in parts for r in read_csv_part(p).values.tolist()] == [["1", "hola"], ["\ufeff2", "adiós"]]

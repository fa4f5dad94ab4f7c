from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from intent.config import LABELS, MAX_FIELD_CHARS, SAMPLE_EXPORT
from intent.errors import ColumnError, DataError
from intent.io import batch
from intent.io.batch import PREDICTION_COLUMNS, BatchOptions, classify_file
from intent.io.excel_es import spanish_excel_csv

MESSAGES_HEADER = (
    "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,DATE,SUBJECT,CONTENT,FOLDER"
)


def messages_csv(tmp_path: Path) -> Path:
    """messages.csv as LinkedIn writes it: BOM, CRLF, multiline quoted fields, entities, mojibake."""
    rows = [
        MESSAGES_HEADER,
        'c1,,Ana,u1,Luis,u2,2026-01-01,Demo,"Hola Luis,\r\n¿15 minutos para una demo? Precio: 99€",INBOX',
        'c1,,Luis,u2,Ana,u1,2026-01-02,,"No me interesa, gracias &amp; saludos",INBOX',
        'c2,,Eva,u3,Luis,u2,2026-01-03,,"Gracias por la reuniÃ³n de ayer, seguimos en contacto<br>Eva",INBOX',
        "c3,,Eva,u3,Luis,u2,2026-01-04,,,INBOX",
    ]
    path = tmp_path / "messages.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("utf-8-sig"))
    return path


def read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def test_every_row_in_order_with_all_columns(tmp_path: Path, mini_model_path: Path) -> None:
    out = tmp_path / "out.csv"
    summary = classify_file(str(messages_csv(tmp_path)), out, mini_model_path, BatchOptions(chunk_size=2))
    rows = read_csv(out)
    assert [r["DATE"] for r in rows] == ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]
    assert list(rows[0])[:10] == MESSAGES_HEADER.split(",")
    assert list(rows[0])[10:] == ["conversation_id", "direction", "owner", *PREDICTION_COLUMNS]
    # Luis is in every row: his export; his own message is outgoing and still labeled
    assert [(r["conversation_id"], r["direction"]) for r in rows] == [
        ("c1", "incoming"),
        ("c1", "outgoing"),
        ("c2", "incoming"),
        ("c3", "incoming"),
    ]
    assert {r["owner"] for r in rows} == {"Luis"} and rows[1]["intent"] != ""
    assert rows[0]["CONTENT"] == "Hola Luis,\r\n¿15 minutos para una demo? Precio: 99€"  # kept as given
    assert [r["status"] for r in rows] == ["ok", "ok", "ok", "empty"]
    assert rows[3]["intent"] == "" and rows[3]["confidence"] == ""
    assert (
        abs(
            sum(float(rows[0][f"proba_{c}"]) for c in ("spam_sales", "genuine_networking", "gatekeeping_rejection")) - 1
        )
        < 1e-3
    )
    assert summary.rows == 4 and summary.statuses["empty"] == 1 and sum(summary.labels.values()) == 3


def test_subject_and_content_are_both_read(
    tmp_path: Path, mini_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real = batch.classify_texts
    monkeypatch.setattr(batch, "classify_texts", lambda m, texts, langs: seen.extend(texts) or real(m, texts, langs))
    classify_file(str(messages_csv(tmp_path)), tmp_path / "o.csv", mini_model_path, BatchOptions())
    assert seen[0].startswith("Demo\n\nHola Luis")


def test_export_zip_keeps_invitations_without_note(tmp_path: Path, mini_model_path: Path) -> None:
    archive = tmp_path / "Basic_LinkedInDataExport.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(messages_csv(tmp_path), "messages.csv")
        zf.writestr(
            "Invitations.csv",
            "\ufeffFrom,To,Sent At,Message,Direction\r\n"
            "Ana,Luis,1/1/26,Hola! coincidimos en el congreso,INCOMING\r\nEva,Luis,1/2/26,,INCOMING\r\n",
        )
        zf.writestr("Connections.csv", "First Name\r\nAna\r\n")
    out = tmp_path / "out.jsonl"
    summary = classify_file(str(archive), out, mini_model_path, BatchOptions(fmt="jsonl"))
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["source_file"] for r in records] == ["messages.csv"] * 4 + ["Invitations.csv"] * 2
    assert records[-1]["status"] == "no_message" and records[-1]["intent"] is None
    assert records[-1]["FROM"] == "Eva"  # "From" of Invitations.csv shares the FROM column
    assert isinstance(records[0]["confidence"], float) and isinstance(records[0]["uncertain"], bool)
    assert summary.rows == 6


def test_shipped_sample_export(tmp_path: Path, mini_model_path: Path) -> None:
    out = tmp_path / "sample.csv"
    summary = classify_file(str(SAMPLE_EXPORT), out, mini_model_path, BatchOptions())
    assert summary.rows == len(read_csv(out)) == 23
    assert summary.owner is not None and summary.owner.name == "Lucía Ferrer"
    assert summary.conversations is not None and len(summary.conversations) == 18


class Recorder:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str]] = []
        self.threads: list[batch.Thread | None] = []
        self.steps: list[tuple[int, int]] = []

    def progress(self, done_bytes: int, total_bytes: int) -> None:
        self.steps.append((done_bytes, total_bytes))

    def row(
        self, source: str, text: str, values: dict[str, str], result: batch.Result, thread: batch.Thread | None
    ) -> None:
        self.rows.append((source, text, result[4]))
        self.threads.append(thread)


def test_observer_sees_every_row_and_the_progress(tmp_path: Path, mini_model_path: Path) -> None:
    seen = Recorder()
    out = tmp_path / "out.csv"
    summary = classify_file(str(SAMPLE_EXPORT), out, mini_model_path, BatchOptions(chunk_size=4), observer=seen)
    assert len(seen.rows) == summary.rows == len(read_csv(out))
    assert {source for source, _, _ in seen.rows} == {"messages.csv", "Invitations.csv"}
    assert ("Invitations.csv", "", "no_message") in seen.rows  # the text as the layout reads it
    assert all(t is not None and t.owner == "Lucía Ferrer" for t in seen.threads)  # each row's conversation
    total = sum(f.stat().st_size for f in SAMPLE_EXPORT.iterdir())
    assert seen.steps[-1] == (total, total)
    assert [done for done, _ in seen.steps] == sorted(done for done, _ in seen.steps)


def test_check_inputs_reads_headers_only(tmp_path: Path) -> None:
    found = batch.check_inputs(str(SAMPLE_EXPORT), BatchOptions())
    assert sorted(layout.kind for _, layout in found) == ["linkedin_invitations", "linkedin_messages"]
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="no column looks like message text"):
        batch.check_inputs(str(bad), BatchOptions())


def test_excel_output(tmp_path: Path, mini_model_path: Path) -> None:
    out = tmp_path / "excel.csv"
    classify_file(str(messages_csv(tmp_path)), out, mini_model_path, BatchOptions(excel=True))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and ";intención;confianza;dudoso;".encode() in raw
    rows = read_csv(out, delimiter=";")
    assert len(rows) == 4
    # the same rows as the plain CSV, our columns in Spanish: the one translation table, applied as written
    plain = tmp_path / "plain.csv"
    classify_file(str(messages_csv(tmp_path)), plain, mini_model_path, BatchOptions())
    assert spanish_excel_csv(plain.read_bytes()) == raw
    labeled = [r for r in read_csv(plain) if r["intent"]]
    assert labeled and {r["intent"] for r in labeled} <= set(LABELS)
    spanish = [r for r in rows if r["intención"]]
    assert {r["intención"] for r in spanish} <= {"Venta / spam", "Networking genuino", "Rechazo"}
    assert all(re.fullmatch(r"\d{1,3},\d\d%", r["confianza"]) for r in spanish)
    assert {r["dudoso"] for r in rows} <= {"sí", "no"} and {r["idioma"] for r in spanish} == {"español"}


def test_generic_semicolon_cp1252_csv(tmp_path: Path, mini_model_path: Path) -> None:
    src = tmp_path / "excel_es.csv"
    src.write_bytes("id;Mensaje;fecha\n1;Oferta: curso por 49€;hoy\n2;No, gracias;ayer\n".encode("cp1252"))
    out = tmp_path / "out.csv"
    classify_file(str(src), out, mini_model_path, BatchOptions())
    rows = read_csv(out)
    assert [r["Mensaje"] for r in rows] == ["Oferta: curso por 49€", "No, gracias"]


def test_refuses_to_overwrite(tmp_path: Path, mini_model_path: Path) -> None:
    src = messages_csv(tmp_path)
    with pytest.raises(DataError, match="overwrite the input"):
        classify_file(str(src), src, mini_model_path, BatchOptions(), force=True)
    existing = tmp_path / "exists.csv"
    existing.write_text("keep me")
    with pytest.raises(DataError, match="--force"):
        classify_file(str(src), existing, mini_model_path, BatchOptions())
    assert existing.read_text() == "keep me"
    classify_file(str(src), existing, mini_model_path, BatchOptions(), force=True)
    assert len(read_csv(existing)) == 4


def test_bad_line_stops_and_leaves_no_output(tmp_path: Path, mini_model_path: Path) -> None:
    src = tmp_path / "bad.csv"
    src.write_text("text,id\nhola,1\nuno,2,extra\nadios,3\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    with pytest.raises(DataError, match=r"^bad\.csv, line 3: the row has 3 fields but the header has 2\."):
        classify_file(str(src), out, mini_model_path, BatchOptions())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]
    with pytest.raises(DataError, match=r"^bad\.csv has no column 'zz'\. Its columns are: text, id\."):
        classify_file(str(src), out, mini_model_path, BatchOptions(text_column="zz"))
    summary = classify_file(str(src), out, mini_model_path, BatchOptions(on_bad_lines="skip"))
    assert summary.skipped == 1 and summary.rows == 2 and len(read_csv(out)) == 2
    assert "skipped in bad.csv: line(s) 3" in summary.format(str(out))


def test_failure_midway_leaves_no_output(
    tmp_path: Path, mini_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real = batch.classify_texts

    def flaky(model, texts, languages):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(model, texts, languages)

    monkeypatch.setattr(batch, "classify_texts", flaky)
    with pytest.raises(KeyboardInterrupt):
        classify_file(str(messages_csv(tmp_path)), tmp_path / "out.csv", mini_model_path, BatchOptions(chunk_size=1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["messages.csv"]


def test_nul_bytes_are_refused_clearly(tmp_path: Path, mini_model_path: Path) -> None:
    src = tmp_path / "utf16.csv"
    src.write_bytes("text\nhola\n".encode("utf-16"))
    with pytest.raises(DataError) as caught:
        classify_file(str(src), tmp_path / "o.csv", mini_model_path, BatchOptions())
    assert caught.value.code == "not_csv" and str(caught.value) == (
        "utf16.csv contains NUL bytes: it is not a text CSV (a spreadsheet .xlsx, or UTF-16?). "
        "Fix: save it as CSV UTF-8 from your spreadsheet program."
    )


@pytest.mark.slow
def test_jobs_2_matches_jobs_1(tmp_path: Path, mini_model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "WORKERS_FROM_BYTES", 0)  # workers even for this small file
    started = []
    original = batch.ProcessPoolExecutor
    monkeypatch.setattr(batch, "ProcessPoolExecutor", lambda *a, **k: started.append(1) or original(*a, **k))
    src = tmp_path / "many.csv"
    texts = ["no gracias", "curso de ventas por 99€", "encantada de conectar", "", "¿y tú quién eres?"] * 40
    with src.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["n", "text"])
        w.writerows([i, t] for i, t in enumerate(texts))
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    classify_file(str(src), one, mini_model_path, BatchOptions(chunk_size=7))
    classify_file(str(src), two, mini_model_path, BatchOptions(jobs=2, chunk_size=7))
    assert one.read_bytes() == two.read_bytes()
    assert started == [1]


def test_a_small_input_never_starts_workers(
    tmp_path: Path, mini_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starting workers costs more than classifying a small file: --jobs 2 runs it in-process."""
    monkeypatch.setattr(batch, "ProcessPoolExecutor", lambda *a, **k: pytest.fail("a worker pool was started"))
    src = tmp_path / "few.csv"
    src.write_text("text\nno gracias\nencantada de conectar\n", encoding="utf-8")
    assert src.stat().st_size < batch.WORKERS_FROM_BYTES
    summary = classify_file(str(src), tmp_path / "o.csv", mini_model_path, BatchOptions(jobs=2))
    assert summary.rows == 2


@pytest.mark.slow
def test_cli_stdin_to_stdout(mini_model_path: Path) -> None:
    data = 'texto\nNo me interesa\n"dos\nlíneas"\n'.encode()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "intent.cli",
            "classify",
            "-",
            "-o",
            "-",
            "--format",
            "jsonl",
            "--model",
            str(mini_model_path),
        ],
        input=data,
        capture_output=True,
        check=True,
    )
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [r["texto"] for r in records] == ["No me interesa", "dos\nlíneas"]
    assert "2 rows classified" in proc.stderr.decode()
    assert "No me interesa" not in proc.stderr.decode()  # no message text in logs


def test_progress_bar_runs_and_output_is_unchanged(tmp_path: Path, mini_model_path: Path) -> None:
    src = messages_csv(tmp_path)
    quiet, shown = tmp_path / "quiet.csv", tmp_path / "shown.csv"
    classify_file(str(src), quiet, mini_model_path, BatchOptions(chunk_size=1))
    classify_file(str(src), shown, mini_model_path, BatchOptions(chunk_size=1, progress=True))
    assert quiet.read_bytes() == shown.read_bytes()


# ---- fuzzing and faults: a clear error or a correct output, and no row lost --------------

import os  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conftest import FUZZ, default_sigint  # noqa: E402
from intent.errors import IntentError  # noqa: E402

FIELD = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00\r"), max_size=60)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(FIELD, FIELD), max_size=12),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig"]),
)
def test_every_written_row_comes_back(
    tmp_path: Path, mini_model_path: Path, rows: list[tuple[str, str]], delimiter: str, encoding: str
) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.jsonl"
    with src.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(["texto", "otra"])
        writer.writerows(rows)
    summary = classify_file(str(src), out, mini_model_path, BatchOptions(fmt="jsonl", chunk_size=5), force=True)
    # JSON Lines are split on "\n" only: str.splitlines would also split inside texts holding U+2028.
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line]
    assert summary.rows == len(records) == len(rows)
    assert [(r["texto"], r["otra"]) for r in records] == rows


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_random_bytes_give_a_clear_error_or_a_consistent_output(
    tmp_path: Path, mini_model_path: Path, data: bytes
) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(b"text,id\n" + data)
    out.unlink(missing_ok=True)
    try:
        summary = classify_file(str(src), out, mini_model_path, BatchOptions(on_bad_lines="skip"))
    except IntentError:
        assert not out.exists()
        return
    assert len(read_csv(out)) == summary.rows


def test_truncated_file_at_every_offset(tmp_path: Path, mini_model_path: Path) -> None:
    full = messages_csv(tmp_path).read_bytes()
    src, out = tmp_path / "cut.csv", tmp_path / "out.csv"
    for cut in range(len(MESSAGES_HEADER) + 5, len(full), 23):
        src.write_bytes(full[:cut])
        out.unlink(missing_ok=True)
        try:
            summary = classify_file(str(src), out, mini_model_path, BatchOptions())
        except IntentError as exc:
            assert "line" in str(exc) or "cannot be read" in str(exc)
            assert not out.exists()
            continue
        assert len(read_csv(out)) == summary.rows <= 4


def test_header_only_and_empty_file(tmp_path: Path, mini_model_path: Path) -> None:
    src, out = tmp_path / "h.csv", tmp_path / "out.csv"
    src.write_text("id,text\n", encoding="utf-8")
    summary = classify_file(str(src), out, mini_model_path, BatchOptions())
    assert summary.rows == 0 and out.read_text(encoding="utf-8").startswith("id,text,intent,")
    src.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="empty"):
        classify_file(str(src), tmp_path / "o2.csv", mini_model_path, BatchOptions())


def test_huge_field_is_cut_while_reading_and_reported(tmp_path: Path, mini_model_path: Path) -> None:
    """Issue 17, item 1: a field past MAX_FIELD_CHARS keeps its start, the rest is skipped unstored,
    the row is marked truncated and the summary says so; the rows after it are untouched."""
    size = 100_000_000 if FUZZ else 3_000_000
    src, out = tmp_path / "big.csv", tmp_path / "out.csv"
    with src.open("w", encoding="utf-8") as fh:
        fh.write('id,text\n1,"')
        fh.write("no me interesa " * (size // 15))
        fh.write('"\n2,hola\n3,"no, gracias"\n')
    summary = classify_file(str(src), out, mini_model_path, BatchOptions())
    rows = read_csv(out)
    assert summary.rows == 3 and [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["status"] == "truncated" and rows[0]["text"] == ("no me interesa " * 70_000)[:MAX_FIELD_CHARS]
    assert rows[2]["text"] == "no, gracias" and rows[2]["status"] == "ok"
    assert summary.cut == 1 and summary.cut_lines == {"big.csv": [2]}
    report = summary.format("out.csv")
    assert f"longer than {MAX_FIELD_CHARS:,} characters were cut" in report and "line(s) 2" in report


def test_unbalanced_quote_names_the_line(tmp_path: Path, mini_model_path: Path) -> None:
    src = tmp_path / "q.csv"
    src.write_text('id,text\n1,hola\n2,"sin cerrar\n3,adios\n', encoding="utf-8")
    with pytest.raises(DataError, match="line 3"):
        classify_file(str(src), tmp_path / "o.csv", mini_model_path, BatchOptions())


def test_write_failure_is_reported_and_leaves_nothing(
    tmp_path: Path, mini_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from intent.cli import main

    def full_disk(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(batch._Writer, "write", full_disk)
    out = tmp_path / "out.csv"
    assert (
        main(["classify", str(messages_csv(tmp_path)), "-o", str(out), "--model", str(mini_model_path), "--quiet"]) == 2
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["messages.csv"]


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_during_classify_leaves_no_output(
    tmp_path: Path, mini_model_path: Path, signum: int, status: int
) -> None:
    src = tmp_path / "many.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text"])
        writer.writerows([i, f"mensaje número {i}: no me interesa, gracias"] for i in range(200_000))
    out = tmp_path / "out.csv"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "intent.cli",
            "classify",
            str(src),
            "-o",
            str(out),
            "--model",
            str(mini_model_path),
            "--jobs",
            "2",
            "--chunk-size",
            "200",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,  # SIGINT reaches it even when pytest runs in the background
    )
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".partial") for p in tmp_path.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, "classification never started"
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(proc.pid, signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err.decode()  # 128 + the signal's number, by convention
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.csv"]
    assert b"Traceback" not in err


# ---- issue 17 ---------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x";"clic")', "+34 600 123 456", "-1+1", "@SUM(A1:A9)", "\t=1", "\r=2"]


@pytest.mark.parametrize("excel", [False, True])
def test_formula_cells_are_escaped_in_csv_output(tmp_path: Path, mini_model_path: Path, excel: bool) -> None:
    """Issue 17, item 3: a message or sender a spreadsheet would run as a formula is written with a "'"."""
    src = tmp_path / "in.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["from", "text"], *([f, f] for f in FORMULAS), ["=ana", "hola"]])
    out = tmp_path / "out.csv"
    classify_file(str(src), out, mini_model_path, BatchOptions(excel=excel))
    rows = read_csv(out, delimiter=";" if excel else ",")
    assert [r["text"] for r in rows] == ["'" + f for f in FORMULAS] + ["hola"]
    assert [r["from"] for r in rows] == ["'" + f for f in FORMULAS] + ["'=ana"]
    assert all(not r["intención" if excel else "intent"].startswith("'") for r in rows)  # ours never need it


def test_jsonl_output_keeps_raw_text(tmp_path: Path, mini_model_path: Path) -> None:
    src = tmp_path / "in.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["text"], *([f] for f in FORMULAS)])
    out = tmp_path / "out.jsonl"
    classify_file(str(src), out, mini_model_path, BatchOptions(fmt="jsonl"))
    assert [json.loads(line)["text"] for line in out.read_text(encoding="utf-8").split("\n") if line] == FORMULAS


@pytest.mark.parametrize("excel", [False, True])
def test_a_cr_only_file_keeps_its_row_count(tmp_path: Path, mini_model_path: Path, excel: bool) -> None:
    """Issue 17, item 4: the reproduction from the issue, 3 rows in and 3 rows out, read back the same."""
    src = tmp_path / "cr.csv"
    src.write_bytes('from,text\ra,"Hola Ana\rte escribo…"\rb,no gracias\rc,encantada\r'.encode())
    out = tmp_path / "out.csv"
    summary = classify_file(str(src), out, mini_model_path, BatchOptions(excel=excel))
    rows = read_csv(out, delimiter=";" if excel else ",")
    assert summary.rows == len(rows) == 3
    assert [(r["from"], r["text"]) for r in rows] == [
        ("a", "Hola Ana\rte escribo…"),
        ("b", "no gracias"),
        ("c", "encantada"),
    ]
    again = tmp_path / "again.csv"
    assert classify_file(str(out), again, mini_model_path, BatchOptions(text_column="text")).rows == 3


def test_force_never_replaces_an_input_zip(tmp_path: Path, mini_model_path: Path) -> None:
    """Issue 17, item 8: `intent classify m2.zip -o m2.zip --force` must leave the archive alone."""
    from intent.cli import main

    archive = tmp_path / "m2.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(messages_csv(tmp_path), "messages.csv")
    before = archive.read_bytes()
    with pytest.raises(DataError, match="overwrite the input"):
        classify_file(str(archive), archive, mini_model_path, BatchOptions(), force=True)
    assert main(["classify", str(archive), "-o", str(archive), "--force", "--model", str(mini_model_path)]) == 2
    assert archive.read_bytes() == before


@pytest.mark.parametrize("text", ["<p></p>", "&nbsp;", "\u200b", "\x01\x02", "<br>\u200d&nbsp;"])
def test_text_empty_after_cleaning_is_empty_in_files(tmp_path: Path, mini_model_path: Path, text: str) -> None:
    """Issue 17, item 9: the batch uses the model's own test of "nothing to classify"."""
    src = tmp_path / "in.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["text"], [text], ["hola, ¿qué tal?"]])
    out = tmp_path / "out.csv"
    summary = classify_file(str(src), out, mini_model_path, BatchOptions())
    rows = read_csv(out)
    assert rows[0]["status"] == "empty" and rows[0]["intent"] == "" and rows[1]["status"] == "ok"
    assert summary.statuses["empty"] == 1 and sum(summary.labels.values()) == 1
    invitations = tmp_path / "Invitations.csv"
    with invitations.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [["From", "To", "Sent At", "Message", "Direction"], ["Ana", "Luis", "1/1/26", text, "IN"]]
        )
    out2 = tmp_path / "out2.csv"
    classify_file(str(invitations), out2, mini_model_path, BatchOptions())
    assert read_csv(out2)[0]["status"] == "no_message"


def test_the_output_has_the_usual_file_mode(tmp_path: Path, mini_model_path: Path) -> None:
    """Should fix: outputs respect the umask (an ordinary file), they are not forced to 0600."""
    import os

    out = tmp_path / "out.csv"
    old = os.umask(0o022)
    try:
        classify_file(str(messages_csv(tmp_path)), out, mini_model_path, BatchOptions())
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644


# ---- the counts, columns and rules of a run, on fixed probabilities ---------------------------

from conftest import fixed_model  # noqa: E402
from intent import api  # noqa: E402
from intent import model as model_module  # noqa: E402

FIXED = Path("fixed.joblib")  # the name a run asks for; `with_fixed_model` answers it


def with_fixed_model(monkeypatch: pytest.MonkeyPatch, table: dict[str, tuple[float, float, float]]) -> None:
    model = fixed_model(table, threshold=0.6)
    real = api.load_model
    monkeypatch.setattr(api, "load_model", lambda path=None: model if Path(str(path)) == FIXED else real(path))
    monkeypatch.setattr(model_module, "spanish_evidence", lambda normalized: normalized != "in english please")
    monkeypatch.setattr(model_module, "identify", lambda text: "en")


TABLE = {
    "sure spam": (0.9, 0.06, 0.04),
    "unsure": (0.3, 0.59, 0.11),
    "at the threshold": (0.2, 0.2, 0.6),
    "in english please": (0.95, 0.03, 0.02),
}


def write_rows(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def test_summary_counts_every_status_and_the_uncertain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with_fixed_model(monkeypatch, TABLE)
    src = tmp_path / "in.csv"
    src.write_text(
        "id,text\n1,sure spam\n2,unsure\n3,at the threshold\n4,in english please\n5,\n6,<p></p>\n7,a,b\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    summary = classify_file(str(src), out, FIXED, BatchOptions(on_bad_lines="skip", chunk_size=4))
    assert (summary.rows, summary.skipped, summary.skipped_lines) == (6, 1, {"in.csv": [8]})
    assert summary.labels == {LABELS[0]: 2, LABELS[1]: 1, LABELS[2]: 1}
    assert summary.statuses == {"ok": 3, "other_language": 1, "empty": 2}
    assert summary.uncertain == 2  # unsure, and the confident English pitch; never the empty rows
    assert summary.cut == 0 and summary.owner is None and summary.conversations is None and not summary.export
    rows = read_csv(out)
    assert [(r["intent"], r["confidence"], r["uncertain"], r["status"], r["language"]) for r in rows] == [
        (LABELS[0], "0.9000", "false", "ok", "es"),
        (LABELS[1], "0.5900", "true", "ok", "es"),
        (LABELS[2], "0.6000", "false", "ok", "es"),
        (LABELS[0], "0.9500", "true", "other_language", "en"),
        ("", "", "true", "empty", ""),
        ("", "", "true", "empty", ""),
    ]
    assert [rows[1][f"proba_{label}"] for label in LABELS] == ["0.3000", "0.5900", "0.1100"]
    assert rows[4][f"proba_{LABELS[0]}"] == ""
    summary.seconds = 2.0
    assert summary.format("out.csv").splitlines() == [
        "intent: 6 rows classified in 2.0s (3 messages/s) -> out.csv",
        f"  {LABELS[0]} 2 · {LABELS[1]} 1 · {LABELS[2]} 1",
        "  uncertain 2 · empty 2 · other_language 1 · skipped malformed rows 1",
        "  skipped in in.csv: line(s) 8",
    ]
    assert summary.format_people() == ""


def test_threshold_and_languages_options_reach_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with_fixed_model(monkeypatch, TABLE)
    src = write_rows(tmp_path / "in.csv", [["text"], ["sure spam"], ["in english please"]])
    strict = classify_file(str(src), tmp_path / "a.csv", FIXED, BatchOptions(threshold=0.95, languages=("es", "en")))
    assert strict.uncertain == 1 and strict.statuses == {"ok": 2}  # 0.9 < 0.95; English now supported
    assert [r["uncertain"] for r in read_csv(tmp_path / "a.csv")] == ["true", "false"]
    off = classify_file(str(src), tmp_path / "b.csv", FIXED, BatchOptions(languages=None))
    assert off.uncertain == 0 and [r["language"] for r in read_csv(tmp_path / "b.csv")] == ["", ""]


def test_jsonl_records_carry_typed_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with_fixed_model(monkeypatch, TABLE)
    src = write_rows(tmp_path / "in.csv", [["text", "intent"], ["unsure", "mine"], ["", "x"]])
    out = tmp_path / "out.jsonl"
    classify_file(str(src), out, FIXED, BatchOptions(fmt="jsonl"))
    first, empty = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert first == {
        "text": "unsure",
        "intent": "mine",  # the input's own column is kept; ours is suffixed
        "intent_pred": LABELS[1],
        "confidence": 0.59,
        "uncertain": True,
        **{f"proba_{label}": p for label, p in zip(LABELS, TABLE["unsure"], strict=True)},
        "status": "ok",
        "language": "es",
    }
    assert empty["intent_pred"] is None and empty["confidence"] is None and empty[f"proba_{LABELS[0]}"] is None
    assert empty["status"] == "empty" and empty["uncertain"] is True


@pytest.mark.parametrize(
    ("name", "data", "texts"),
    [
        (  # Excel in Spanish: ";" between columns, commas inside the messages
            "semicolon.csv",
            "id;mensaje;fecha\n1;hola, ¿qué tal?, te escribo por lo del curso, vale;hoy\n"
            "2;no, gracias, de verdad;ayer\n",
            ["hola, ¿qué tal?, te escribo por lo del curso, vale", "no, gracias, de verdad"],
        ),
        (  # tab-separated, quoted line breaks
            "tabs.tsv",
            'text\tn\n"dos\nlíneas, con coma"\t1\nuna\t2\n',
            ["dos\nlíneas, con coma", "una"],
        ),
        (  # phones and prices stay as the user wrote them in the output
            "phones.csv",
            'text\nllámame al 600 123 456\n"cuesta 1.500,00 €; pago en 3 plazos"\n',
            ["llámame al 600 123 456", "cuesta 1.500,00 €; pago en 3 plazos"],
        ),
    ],
)
def test_real_world_csv_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, data: str, texts: list[str]
) -> None:
    with_fixed_model(monkeypatch, dict.fromkeys(texts, (0.1, 0.8, 0.1)))
    src = tmp_path / name
    src.write_text(data, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = classify_file(str(src), out, FIXED, BatchOptions(fmt="jsonl"))
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line]
    column = "mensaje" if name == "semicolon.csv" else "text"
    assert [r[column] for r in records] == texts and summary.rows == len(texts)
    assert all(r["intent"] == LABELS[1] for r in records)


def test_a_file_already_labeled_is_labeled_again_beside_its_labels(tmp_path: Path, mini_model_path: Path) -> None:
    """The output of a run as the input of the next: every row and column kept, ours suffixed, the labels the same."""
    first, second = tmp_path / "once.csv", tmp_path / "twice.csv"
    classify_file(str(messages_csv(tmp_path)), first, mini_model_path, BatchOptions())
    summary = classify_file(str(first), second, mini_model_path, BatchOptions(text_column="CONTENT"))
    once, twice = read_csv(first), read_csv(second)
    assert summary.rows == len(once) == len(twice) == 4
    assert list(twice[0])[: len(once[0])] == list(once[0])  # every column of the first run, in order
    assert [f"{c}_pred" for c in PREDICTION_COLUMNS] == list(twice[0])[len(once[0]) :]
    assert [r["status_pred"] for r in twice] == [r["status"] for r in once]
    assert [r["intent_pred"] for r in twice[1:3]] == [r["intent"] for r in once[1:3]]  # CONTENT alone, no subject


def test_several_inputs_name_their_source_and_share_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with_fixed_model(monkeypatch, TABLE)
    a = write_rows(tmp_path / "a.csv", [["text", "Extra"], ["sure spam", "1"]])
    b = write_rows(tmp_path / "b.csv", [["TEXT", "other"], ["unsure", "2"]], delimiter=";")
    out = tmp_path / "out.csv"
    summary = classify_file([str(a), str(b)], out, FIXED, BatchOptions())
    rows = read_csv(out)
    assert list(rows[0])[:4] == ["source_file", "text", "Extra", "other"]  # "TEXT" shares "text"
    assert [(r["source_file"], r["text"], r["Extra"], r["other"]) for r in rows] == [
        ("a.csv", "sure spam", "1", ""),
        ("b.csv", "unsure", "", "2"),
    ]
    assert summary.rows == 2 and summary.labels[LABELS[1]] == 1


def test_a_cut_field_is_truncated_only_when_it_is_the_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = "x" * (MAX_FIELD_CHARS + 10)
    with_fixed_model(monkeypatch, {"x" * MAX_FIELD_CHARS: (0.8, 0.1, 0.1), "hola": (0.8, 0.1, 0.1)})
    monkeypatch.setattr(model_module, "MAX_CHARS", 10**7)  # the model would read it all: the status is the reader's
    src = write_rows(tmp_path / "in.csv", [["text", "note"], [big, "a"], ["hola", big]])
    summary = classify_file(str(src), tmp_path / "out.csv", FIXED, BatchOptions())
    assert [r["status"] for r in read_csv(tmp_path / "out.csv")] == ["truncated", "ok"]
    assert summary.cut == 2 and summary.cut_lines == {"in.csv": [2, 3]} and summary.statuses["truncated"] == 1
    report = summary.format("o.csv")
    assert "uncertain 0 · truncated 1 · skipped malformed rows 0" in report
    assert "2 field(s) longer than 1,000,000 characters were cut" in report
    assert "cut in in.csv: row(s) starting on line(s) 2, 3" in report


def test_options_are_checked() -> None:
    with pytest.raises(DataError, match="unknown format 'xml'; choose one of csv, jsonl"):
        BatchOptions(fmt="xml")
    with pytest.raises(DataError, match="--jobs must be at least 1, got 0"):
        BatchOptions(jobs=0)
    with pytest.raises(DataError, match="chunk size must be at least 1, got 0"):
        BatchOptions(chunk_size=0)
    with pytest.raises(DataError, match="--on-bad-lines must be 'error' or 'skip', got 'warn'"):
        BatchOptions(on_bad_lines="warn")
    assert BatchOptions(jobs=1, chunk_size=1).jobs == 1


def test_many_skipped_lines_are_shortened() -> None:
    summary = batch.Summary(rows=1, skipped=12, skipped_lines={"f.csv": list(range(2, 14))})
    assert "  skipped in f.csv: line(s) 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 …" in summary.format("o")
    assert batch._shown_lines([5]) == "5" and batch._shown_lines(list(range(10))).endswith("9")
    assert batch._shown_lines(list(range(11))) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 …"


def test_the_summary_rate_and_its_notes() -> None:
    summary = batch.Summary(rows=10, seconds=0.5, export=True)
    lines = summary.format("o.csv").split("\n")
    assert lines[0] == "intent: 10 rows classified in 0.5s (20 messages/s) -> o.csv"
    assert lines[-1] == (
        "  whose export this is cannot be told, so directions are unknown and conversations are not combined. "
        "Fix: pass --owner NAME_OR_PROFILE_URL."
    )
    assert batch.Summary(rows=10).format("o").startswith("intent: 10 rows classified in 0.0s (0 messages/s) -> o")
    cut = batch.Summary(rows=1, cut=1).format("o").split("\n")[3]
    assert cut == (
        "  1 field(s) longer than 1,000,000 characters were cut while reading "
        "(their start is kept; status truncated when it is the text)"
    )


def test_output_checks(tmp_path: Path) -> None:
    src = write_rows(tmp_path / "in.csv", [["text"], ["hola"]])
    sources = batch.resolve_inputs([str(src)])
    with pytest.raises(DataError) as caught:
        batch._check_output(tmp_path, sources, force=True)
    assert str(caught.value) == f"{tmp_path} is a folder. Fix: give -o a file name, e.g. {tmp_path / 'classified.csv'}."
    batch._check_output(None, sources, force=False)
    batch._check_output(tmp_path / "new.csv", sources, force=False)


def test_the_worker_window_keeps_order_with_a_pool(
    tmp_path: Path, mini_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool path (--jobs 2 on a large input) in this process: workers are threads here, started
    with the same initializer; the slow test `test_jobs_2_matches_jobs_1` runs real processes."""
    from concurrent.futures import ThreadPoolExecutor

    started: list[dict[str, Any]] = []

    def pool(**kwargs: Any) -> ThreadPoolExecutor:
        started.append(kwargs)
        return ThreadPoolExecutor(max_workers=1, initializer=kwargs["initializer"], initargs=kwargs["initargs"])

    monkeypatch.setattr(batch, "ProcessPoolExecutor", pool)
    monkeypatch.setattr(batch, "WORKERS_FROM_BYTES", 0)
    texts = ["no gracias", "curso de ventas por 99€", "", "encantada de conectar", "<p></p>"] * 7
    src = write_rows(tmp_path / "in.csv", [["n", "text"], *([str(i), t] for i, t in enumerate(texts))])
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    classify_file(str(src), one, mini_model_path, BatchOptions(chunk_size=3, threshold=0.7))
    summary = classify_file(str(src), two, mini_model_path, BatchOptions(jobs=2, chunk_size=3, threshold=0.7))
    assert one.read_bytes() == two.read_bytes() and summary.rows == 35
    (kwargs,) = started
    assert kwargs["max_workers"] == 2 and kwargs["initargs"] == (str(mini_model_path), 0.7, ("es",))
    assert batch._worker_threshold() == 0.7


def test_worker_functions(mini_model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "_WORKER_MODEL", None)
    with pytest.raises(AssertionError, match=r"^worker not initialised$"):
        batch._classify_in_worker(["hola"])
    with pytest.raises(AssertionError, match=r"^worker not initialised$"):
        batch._worker_threshold()
    batch._init_worker(str(mini_model_path), 0.42, None)
    assert batch._worker_threshold() == 0.42 and batch._WORKER_LANGUAGES is None
    (result,) = batch._classify_in_worker(["no gracias"])
    assert result[0] in LABELS and result[4:] == ("ok", "")


def test_conversations_of_an_export_with_a_model_object(tmp_path: Path) -> None:
    text = "Demo\n\nHola Luis,\r\n¿15 minutos para una demo? Precio: 99€"
    model = fixed_model({text: (0.9, 0.05, 0.05)})
    src = tmp_path / "messages.csv"
    src.write_text(
        MESSAGES_HEADER + "\n"
        'c1,,Ana,u1,Luis,u2,2026-01-01,Demo,"Hola Luis,\r\n¿15 minutos para una demo? Precio: 99€",INBOX\n'
        "c2,,Eva,u3,Luis,u2,2026-01-02,,,INBOX\n",
        encoding="utf-8",
    )
    found = batch.classify_conversations(src, model=model, languages=None, threshold=0.95)
    assert [(c.conversation_id, c.intent) for c in found] == [("c2", None), ("c1", LABELS[0])]
    with pytest.raises(DataError, match="conversations needs LinkedIn's export"):
        batch.classify_conversations(write_rows(tmp_path / "x.csv", [["text"], ["hola"]]), model=model)


def test_the_progress_bar_counts_bytes_and_leaves_no_line(capsys: pytest.CaptureFixture[str]) -> None:
    bar = batch._progress_bar(123_456)
    bar.update(123_456)
    bar.close()
    err = capsys.readouterr().err
    assert err.startswith("\rclassifying:   0%") and "/123k [" in err and "B/s]" in err
    assert "100%" not in err and err.endswith("\r")  # cleared when done: the summary takes its place


def test_people_are_named_only_in_format_people() -> None:
    from intent.io.conversations import Sender
    from intent.io.owner import Owner

    def owner(found_by: str) -> Owner:
        return Owner("Lucía Ferrer", frozenset(), frozenset(), found_by)

    summary = batch.Summary(owner=owner("option"))
    assert summary.format_people() == "  export of Lucía Ferrer (as given by --owner)"
    summary = batch.Summary(owner=owner("export"))
    summary.senders = [
        Sender("Rodrigo", "", {LABELS[0]: 2}, 2, 1),
        Sender("Ana", "", {LABELS[1]: 3}, 3, 1),
        Sender("Bea", "", {LABELS[0]: 1, LABELS[1]: 1}, 2, 2),
    ]
    assert summary.format_people().split("\n") == [
        "  export of Lucía Ferrer (the person in every conversation)",
        "  pitched most: Rodrigo 2 · Bea 1",
    ]
    summary.incoming.update({LABELS[0]: 3})
    summary.outgoing = 1_234
    counts = summary.format("o.csv").split("\n")[1]
    assert counts == (
        f"  from others: {LABELS[0]} 3 · {LABELS[1]} 0 · {LABELS[2]} 0 · your own messages 1,234 "
        "(labeled in the file, not counted here)"
    )
    assert "Lucía" not in summary.format("o.csv") and "Rodrigo" not in summary.format("o.csv")


def test_directions_count_the_others_wants_and_the_owners_messages() -> None:
    from intent.io.owner import Thread

    def thread(direction: str) -> Thread:
        return Thread("c1", "message", direction, "Luis", None, (), False, None, "")

    summary = batch.Summary()
    labeled: batch.Result = (LABELS[0], 0.9, False, (0.9, 0.05, 0.05), "ok", "es")
    empty: batch.Result = (None, None, True, None, "empty", "")
    for direction, result in [("incoming", labeled), ("incoming", empty), ("outgoing", labeled), ("unknown", labeled)]:
        batch._count_direction(summary, thread(direction), result)
    assert summary.incoming == {LABELS[0]: 1} and summary.outgoing == 1


def test_check_inputs_takes_several_inputs(tmp_path: Path) -> None:
    a = write_rows(tmp_path / "a.csv", [["text"], ["hola"]])
    b = write_rows(tmp_path / "b.csv", [["mensaje", "id"], ["hola", "1"]], delimiter=";")
    found = batch.check_inputs([str(a), str(b)], BatchOptions())
    assert [(source.name, layout.text_columns) for source, layout in found] == [
        ("a.csv", ("text",)),
        ("b.csv", ("mensaje",)),
    ]


def test_parquet_rows_as_text_with_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    with_fixed_model(monkeypatch, TABLE)
    path = tmp_path / "in.parquet"
    pd.DataFrame({"text": ["sure spam", None, "unsure"], "n": [1, 2, None]}).to_parquet(path)
    seen = Recorder()
    out = tmp_path / "out.jsonl"
    summary = classify_file(str(path), out, FIXED, BatchOptions(fmt="jsonl", chunk_size=2), observer=seen)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["text"], r["n"], r["status"]) for r in records] == [
        ("sure spam", "1.0", "ok"),
        ("", "2.0", "empty"),
        ("unsure", "", "ok"),
    ]
    assert summary.rows == 3 and [source for source, _, _ in seen.rows] == ["in.parquet"] * 3
    size = path.stat().st_size
    assert seen.steps == [(size * 2 // 3, size), (size, size)]  # by rows read, in the file's bytes
    empty = tmp_path / "empty.parquet"
    pd.DataFrame({"text": pd.Series([], dtype="string")}).to_parquet(empty)
    assert classify_file(str(empty), tmp_path / "o.csv", FIXED, BatchOptions()).rows == 0
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(b"PAR1" + b"\x00" * 20)
    with pytest.raises(DataError, match=r"^damaged.parquet cannot be read as Parquet \("):
        classify_file(str(damaged), tmp_path / "o2.csv", FIXED, BatchOptions())
    with pytest.raises(DataError, match=r"^in.parquet has no column 'zz'. Its columns are: text, n\."):
        classify_file(str(path), tmp_path / "o3.csv", FIXED, BatchOptions(text_column="zz"))


def test_parquet_without_pyarrow_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    from intent.errors import MissingExtraError

    path = tmp_path / "in.parquet"
    pd.DataFrame({"text": ["hola"]}).to_parquet(path)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(MissingExtraError, match=r"^Parquet input needs pyarrow.parquet, .*intent\[parquet\]"):
        classify_file(str(path), tmp_path / "o.csv", FIXED, BatchOptions())


@pytest.mark.parametrize(
    "first_line",
    [
        "Hola, te escribo por la propuesta que te envié la semana pasada",  # one line of text: no header
        "Buenos días Lucía te escribo porque vi tu perfil y me encantó tu trayectoria",
    ],
)
def test_a_text_file_is_not_a_csv(tmp_path: Path, first_line: str) -> None:
    src = tmp_path / "notas.txt"
    src.write_text(first_line + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="is not a CSV") as caught:
        batch.check_inputs(str(src), BatchOptions())
    assert caught.value.code == "not_csv"


def test_header_words_still_offer_the_column_choice(tmp_path: Path) -> None:
    """Real column names, or a file with rows under a long question (a form's export): the chooser, not a refusal."""
    for content in ("asunto,cuerpo,texto\na,b,c\n", "¿Qué te escribió la persona que te contactó?,fecha\nhola,ayer\n"):
        src = tmp_path / "x.csv"
        src.write_text(content, encoding="utf-8")
        with pytest.raises(ColumnError):
            batch.check_inputs(str(src), BatchOptions())


def test_control_characters_in_fields_are_not_binary(tmp_path: Path, mini_model_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(b"text\n\x08\x1f\x1f hola\n\x07\x07\x07\n")
    out = tmp_path / "out.csv"
    assert classify_file(str(src), out, mini_model_path, BatchOptions()).rows == 2


def test_binary_is_refused_with_its_code(tmp_path: Path) -> None:
    src = tmp_path / "foto.csv"
    src.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(1, 200)))
    with pytest.raises(DataError) as caught:
        batch.check_inputs(str(src), BatchOptions())
    assert caught.value.code == "not_csv" and str(caught.value) == (
        "foto.csv is not a text CSV: it holds binary data (a damaged zip, an image, a document?). Fix: save the "
        "messages as CSV UTF-8 from your spreadsheet program, or point at LinkedIn's export."
    )


def test_conversations_take_the_inputs_model_threshold_and_languages_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each argument of classify_conversations reaches the run: a list of inputs, a model file, the
    threshold (a 0.9 pitch is unsure under 0.95) and the languages (an English message is unsure
    unless language identification is off). It writes nothing: no stdout needed (pythonw, a service)."""
    with_fixed_model(monkeypatch, {"Demo\n\nHola Luis": (0.9, 0.05, 0.05), "in english please": (0.9, 0.05, 0.05)})
    messages = tmp_path / "messages.csv"
    messages.write_text(
        MESSAGES_HEADER + "\n"
        "c1,,Ana,u1,Luis,u2,2026-01-01,Demo,Hola Luis,INBOX\n"
        "c2,,Eva,u3,Luis,u2,2026-01-02,,in english please,INBOX\n",
        encoding="utf-8",
    )
    invitations = tmp_path / "Invitations.csv"
    invitations.write_text("From,To,Sent At,Message,Direction\nPia,Luis,1/3/26,,INCOMING\n", encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", None)

    def unsure(**kwargs: Any) -> dict[str, bool]:
        found = batch.classify_conversations([messages, str(invitations)], model=FIXED, **kwargs)
        assert {c.kind for c in found} == {"conversation", "invitation"}  # both inputs were read
        return {c.conversation_id: c.uncertain for c in found if c.kind == "conversation"}

    assert unsure() == {"c1": False, "c2": True}  # English: another language than Spanish
    assert unsure(languages=None) == {"c1": False, "c2": False}
    assert unsure(threshold=0.95, languages=None) == {"c1": True, "c2": True}
    strict = batch.classify_conversations(messages, model=FIXED, threshold=0.95, languages=None)
    assert [(c.conversation_id, c.rule, c.message_rows) for c in strict] == [
        ("c2", "recency", (1,)),
        ("c1", "recency", (0,)),
    ]
    assert batch.classify_conversations(str(messages), model=str(FIXED))[0].conversation_id == "c2"


@pytest.mark.parametrize(
    ("first_line", "refused"),
    [
        ("uno dos tres cuatro cinco", True),  # five words: a sentence
        ("uno dos tres cuatro", False),  # four: may be a column name
        ("x" * 61, True),  # over 60 characters: a sentence
        ("x" * 60, False),
    ],
)
def test_a_first_line_reads_as_text_from_five_words_or_61_characters(
    tmp_path: Path, first_line: str, refused: bool
) -> None:
    src = tmp_path / "notas.txt"
    src.write_text(first_line + "\n", encoding="utf-8")
    if refused:
        with pytest.raises(DataError) as caught:
            batch.check_inputs(str(src), BatchOptions())
        assert str(caught.value) == (
            "notas.txt is not a CSV: its first line reads like text, not like column names. Fix: save the "
            "messages as CSV with a header row (e.g. text), or point at LinkedIn's export."
        )
    else:
        with pytest.raises(ColumnError):  # the column chooser
            batch.check_inputs(str(src), BatchOptions())


def test_a_parquet_reader_numbers_its_rows_and_skips_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its rows are numbered from 1 (`intent train` names a row by it), nothing is skipped, and a file of one
    row reaches the end of the progress."""
    import pandas as pd

    path = tmp_path / "in.parquet"
    pd.DataFrame({"text": ["a", "b", "c"]}).to_parquet(path)
    (source,) = batch.resolve_inputs([str(path)])
    opened = batch._open(source, BatchOptions())
    try:
        assert [(row.line, row.values["text"]) for row in opened.reader] == [(1, "a"), (2, "b"), (3, "c")]
        assert (opened.reader.name, opened.reader.skipped, opened.reader.skipped_lines) == ("in.parquet", 0, [])
    finally:
        opened.close()
    with_fixed_model(monkeypatch, TABLE)
    one = tmp_path / "one.parquet"
    pd.DataFrame({"text": ["sure spam"]}).to_parquet(one)
    seen = Recorder()
    summary = classify_file(str(one), tmp_path / "o.csv", FIXED, BatchOptions(), observer=seen)
    size = one.stat().st_size
    assert seen.steps == [(size, size)] and summary.skipped == 0 and summary.skipped_lines == {}


class FakeBar:
    """tqdm as `_run` drives it: the total, each update, the rows shown beside it, closed at the end."""

    def __init__(self, total: int) -> None:
        self.total, self.n, self.positions, self.postfix, self.closed = total, 0, [], [], False

    def update(self, n: int) -> None:
        self.n += n
        self.positions.append(self.n)

    def set_postfix(self, **kwargs: Any) -> None:
        self.postfix.append(kwargs)

    def close(self) -> None:
        self.closed = True


class ValuesSeen:
    def __init__(self) -> None:
        self.values: list[dict[str, str]] = []
        self.steps: list[tuple[int, int]] = []

    def progress(self, done_bytes: int, total_bytes: int) -> None:
        self.steps.append((done_bytes, total_bytes))

    def row(self, source: str, text: str, values: dict[str, str], result: Any, thread: Any) -> None:
        self.values.append(values)


def test_several_files_add_up_in_the_progress_and_the_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three files: the bar and the observer advance through all their bytes in order, the rows beside the
    bar; skipped and cut fields of every file add up in the summary; the run's time is its own."""
    with_fixed_model(monkeypatch, {**TABLE, "x" * MAX_FIELD_CHARS: (0.8, 0.1, 0.1)})
    big = "x" * (MAX_FIELD_CHARS + 1)
    files = [
        write_rows(tmp_path / "a.csv", [["text"], ["sure spam"], ["unsure", "extra"], [big]]),
        write_rows(tmp_path / "b.csv", [["text"], ["unsure"], ["sure spam", "extra"], [big]]),
        write_rows(tmp_path / "c.csv", [["text"], ["at the threshold"]]),
    ]
    sizes = [f.stat().st_size for f in files]
    bars: list[FakeBar] = []
    monkeypatch.setattr(batch, "_progress_bar", lambda total: bars.append(FakeBar(total)) or bars[-1])
    seen = ValuesSeen()
    options = BatchOptions(on_bad_lines="skip", chunk_size=1, progress=True)
    summary = classify_file([str(f) for f in files], tmp_path / "o.csv", FIXED, options, observer=seen)
    (bar,) = bars
    assert bar.total == sum(sizes) and bar.closed
    assert bar.positions == sorted(bar.positions) and bar.positions[-1] == sum(sizes)
    assert [done for done, _ in seen.steps] == bar.positions and {t for _, t in seen.steps} == {sum(sizes)}
    assert bar.postfix[-1] == {"rows": "5", "refresh": False}  # redrawn with the bar, not per chunk
    assert [v["source_file"] for v in seen.values] == ["a.csv", "a.csv", "b.csv", "b.csv", "c.csv"]
    assert (summary.skipped, summary.skipped_lines) == (2, {"a.csv": [3], "b.csv": [3]})
    assert (summary.cut, summary.cut_lines) == (2, {"a.csv": [4], "b.csv": [4]})
    assert 0 <= summary.seconds < 60
    bars.clear()
    classify_file([str(f) for f in files], tmp_path / "quiet.csv", FIXED, BatchOptions(on_bad_lines="skip"))
    assert bars == []  # no bar unless asked


def test_a_plain_csv_beside_an_export_gets_no_conversation(tmp_path: Path, mini_model_path: Path) -> None:
    other = write_rows(tmp_path / "notas.csv", [["text"], ["hola"]])
    out = tmp_path / "out.csv"
    classify_file([str(messages_csv(tmp_path)), str(other)], out, mini_model_path, BatchOptions())
    rows = read_csv(out)
    assert [(r["source_file"], r["conversation_id"], r["direction"], r["owner"]) for r in rows][-2:] == [
        ("messages.csv", "c3", "incoming", "Luis"),
        ("notas.csv", "", "", ""),
    ]
    first = classify_file(
        [str(other), str(messages_csv(tmp_path))], tmp_path / "o2.csv", mini_model_path, BatchOptions()
    )
    assert first.conversations is not None  # positions in the output, where the plain file's row comes first
    assert {c.conversation_id: c.message_rows for c in first.conversations} == {"c1": (1, 2), "c2": (3,), "c3": (4,)}


def test_conversations_for_excel_in_spanish(tmp_path: Path, mini_model_path: Path) -> None:
    out = tmp_path / "conv.csv"
    classify_file(str(SAMPLE_EXPORT), out, mini_model_path, BatchOptions(excel=True), conversations=True)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    assert ";" in data.decode("utf-8-sig").split("\r\n")[0]


@pytest.mark.parametrize(
    ("people", "why"),
    [
        (["Ana", "Luis"], "'Ana' and 'Luis' are in every message"),
        (["Ana", "Eva", "Luis"], "'Ana' and 'Eva' are in every message"),
        ([], "no one is in most of its messages"),
    ],
)
def test_an_export_whose_owner_cannot_be_told_says_why(tmp_path: Path, people: list[str], why: str) -> None:
    src = tmp_path / "messages.csv"
    if people:
        first, *rest = people
        urls = ",".join(f"u{i}" for i in range(2, 2 + len(rest)))
        row = f'c1,,{first},u1,"{", ".join(rest)}","{urls}",2026-01-01,,hola,INBOX'
        src.write_text(MESSAGES_HEADER + "\n" + row + "\n" + row + "\n", encoding="utf-8")
    else:
        src.write_text(MESSAGES_HEADER + "\nc1,,,,,,2026-01-01,,hola,INBOX\n", encoding="utf-8")
    model = fixed_model({"hola": (0.1, 0.8, 0.1)})
    with pytest.raises(DataError) as caught:
        batch.classify_conversations(src, model=model)
    assert str(caught.value) == (
        f"cannot tell whose export this is ({why}). Fix: pass --owner with your name as the export writes it, "
        "or your LinkedIn profile URL."
    )


def test_conversations_or_owner_of_files_that_are_not_an_export(tmp_path: Path, mini_model_path: Path) -> None:
    a = write_rows(tmp_path / "a.csv", [["text"], ["hola"]])
    b = write_rows(tmp_path / "b.csv", [["text"], ["adiós"]])
    needs = (
        "needs LinkedIn's export (messages.csv or Invitations.csv, recognised by their headers); a.csv, b.csv is not."
    )
    fix = " Fix: point at the export's .zip or folder, or leave out --conversations and --owner."
    for owner, conversations, what in [("Ana", True, "conversations"), ("Ana", False, "--owner")]:
        with pytest.raises(DataError) as caught:
            classify_file(
                [str(a), str(b)],
                tmp_path / "o.csv",
                mini_model_path,
                BatchOptions(owner=owner),
                conversations=conversations,
            )
        assert str(caught.value) == f"{what} {needs}{fix}"


def test_invitations_alone_find_their_owner_by_profile_url(tmp_path: Path) -> None:
    src = tmp_path / "Invitations.csv"
    src.write_text(
        "From,To,Sent At,Message,Direction,inviterProfileUrl,inviteeProfileUrl\n"
        "Ana,Luis,1/1/26,hola,INCOMING,https://www.linkedin.com/in/ana,https://www.linkedin.com/in/luis-x\n",
        encoding="utf-8",
    )
    model = fixed_model({"hola": (0.1, 0.8, 0.1)})
    (found,) = batch.classify_conversations(src, model=model, owner="https://www.linkedin.com/in/luis-x")
    assert found.other_party == ("Ana",) and found.kind == "invitation"


def test_the_worker_pool_is_bounded_spawned_and_shut_down_with_the_run(
    tmp_path: Path, mini_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At most 2 x --jobs chunks are in flight; workers are spawned (no fork of a threaded parent) and each
    initialised with the model; the pool is shut down waiting for its workers, cancelling chunks not started.
    Conversations combined from worker results use the workers' threshold."""
    from concurrent.futures import Future

    pools: list[Any] = []

    class CountingPool:
        def __init__(self, **kwargs: Any) -> None:
            self.kwargs, self.in_flight, self.most, self.shutdowns = kwargs, 0, 0, []
            kwargs["initializer"](*kwargs["initargs"])
            pools.append(self)

        def submit(self, fn: Any, *args: Any) -> Future[Any]:
            future: Future[Any] = Future()
            future.set_result(fn(*args))
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            real = future.result

            def result(timeout: float | None = None) -> Any:
                self.in_flight -= 1
                return real()

            future.result = result  # type: ignore[method-assign]
            return future

        def shutdown(self, *args: Any, **kwargs: Any) -> None:
            self.shutdowns.append((args, kwargs))

    monkeypatch.setattr(batch, "ProcessPoolExecutor", CountingPool)
    monkeypatch.setattr(batch, "WORKERS_FROM_BYTES", 0)
    monkeypatch.setattr(batch, "_WORKER_MODEL", None)
    src = write_rows(tmp_path / "in.csv", [["text"], *([t] for t in ["no gracias", "hola", "curso por 99€"] * 10)])
    classify_file(str(src), tmp_path / "o.csv", mini_model_path, BatchOptions(jobs=2, chunk_size=2))
    (pool,) = pools
    assert pool.most == 4 and pool.in_flight == 0
    assert pool.kwargs["initializer"] is batch._init_worker and pool.kwargs["max_workers"] == 2
    assert pool.kwargs["mp_context"].get_start_method() == "spawn"
    assert pool.shutdowns == [((), {"wait": True, "cancel_futures": True})]
    summary = classify_file(
        str(SAMPLE_EXPORT), tmp_path / "c.csv", mini_model_path, BatchOptions(jobs=3, threshold=0.7), conversations=True
    )
    assert summary.threshold == 0.7 and summary.conversations and pools[-1].most <= 6


@pytest.mark.parametrize(
    ("header", "binary"),
    [
        ("text,a\x01\x02", False),  # two control characters are allowed in any first line
        ("text,a\x01\x02\x03", True),
        ("text," + "a" * 292 + "\x01\x02\x03", False),  # 300 characters: up to 3 (1%)
        ("text," + "a" * 291 + "\x01\x02\x03\x04", True),
    ],
)
def test_binary_means_more_than_1_percent_control_characters_in_the_first_line(
    tmp_path: Path, header: str, binary: bool
) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(header.encode() + b"\nhola,b\n")
    if binary:
        with pytest.raises(DataError, match="binary data"):
            batch.check_inputs(str(src), BatchOptions())
    else:
        ((_, layout),) = batch.check_inputs(str(src), BatchOptions())
        assert layout.text_columns == ("text",)


def test_only_the_first_64_kib_are_checked_and_a_character_cut_there_is_no_error(
    tmp_path: Path, mini_model_path: Path
) -> None:
    """The NUL and binary checks read the file's first 64 KiB (a large file is not read twice); a UTF-8
    character that those 64 KiB cut in two does not stop the run."""
    head = 64 * 1024
    body = "text\n" + "hola\n" * ((head - 6) // 5)
    body += "a" * (head - 1 - len(body.encode())) + "é\n"  # "é" is 2 bytes: the 64 KiB end inside it
    assert len(body.encode()) > head > len(body.encode()) - 3
    src = tmp_path / "in.csv"
    src.write_bytes(body.encode() + b"x\x00y\n")  # a NUL past the first 64 KiB: read as a character
    summary = classify_file(str(src), tmp_path / "o.csv", mini_model_path, BatchOptions())
    assert summary.rows == body.count("\n")


def test_plain_csv_ends_lines_with_lf_and_several_files_in_excel_name_the_file_in_spanish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_fixed_model(monkeypatch, TABLE)
    a = write_rows(tmp_path / "a.csv", [["text", "only_a"], ["sure spam", "x"]])
    b = write_rows(tmp_path / "b.csv", [["text"], ["unsure"]])
    plain = tmp_path / "plain.csv"
    classify_file([str(a), str(b)], plain, FIXED, BatchOptions())
    assert b"\r" not in plain.read_bytes()
    excel = tmp_path / "excel.csv"
    classify_file([str(a), str(b)], excel, FIXED, BatchOptions(excel=True))
    header = excel.read_bytes().decode("utf-8-sig").split("\r\n")[0].split(";")
    assert header[:3] == ["archivo", "text", "only_a"]


def test_jsonl_keeps_characters_and_gives_an_empty_value_for_a_column_another_file_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_fixed_model(monkeypatch, {**TABLE, "reunión": (0.1, 0.8, 0.1)})
    a = write_rows(tmp_path / "a.csv", [["text", "only_a"], ["reunión", "x"]])
    b = write_rows(tmp_path / "b.csv", [["text"], ["unsure"]])
    out = tmp_path / "out.jsonl"
    classify_file([str(a), str(b)], out, FIXED, BatchOptions(fmt="jsonl"))
    data = out.read_text(encoding="utf-8")
    assert '"text": "reunión"' in data  # UTF-8 as is, not \\u escapes
    assert [json.loads(line)["only_a"] for line in data.splitlines()] == ["x", ""]


def test_workers_start_from_an_input_of_workers_from_bytes(
    tmp_path: Path, mini_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    started: list[int] = []

    def pool(**kwargs: Any) -> ThreadPoolExecutor:
        started.append(kwargs["max_workers"])
        return ThreadPoolExecutor(max_workers=1, initializer=kwargs["initializer"], initargs=kwargs["initargs"])

    monkeypatch.setattr(batch, "ProcessPoolExecutor", pool)
    src = write_rows(tmp_path / "in.csv", [["text"], ["hola"]])
    size = src.stat().st_size
    monkeypatch.setattr(batch, "WORKERS_FROM_BYTES", size + 1)
    classify_file(str(src), tmp_path / "a.csv", mini_model_path, BatchOptions(jobs=2))
    assert started == []  # smaller than the bound: classified here
    monkeypatch.setattr(batch, "WORKERS_FROM_BYTES", size)
    classify_file(str(src), tmp_path / "b.csv", mini_model_path, BatchOptions(jobs=2))
    assert started == [2]


def test_an_export_where_one_person_is_in_half_the_messages_has_no_owner(tmp_path: Path) -> None:
    src = tmp_path / "messages.csv"
    rows = ["c1,,Ana,u1,Bea,u2,2026-01-01,,hola,INBOX", "c2,,Ana,u1,Eva,u3,2026-01-02,,hola,INBOX"]
    rows += ["c3,,Pia,u4,Rut,u5,2026-01-03,,hola,INBOX", "c4,,Sol,u6,Teo,u7,2026-01-04,,hola,INBOX"]
    src.write_text(MESSAGES_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"^cannot tell whose export this is \(no one is in most of its messages\)\."):
        batch.classify_conversations(src, model=fixed_model({"hola": (0.1, 0.8, 0.1)}))

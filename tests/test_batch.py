from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

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
    with pytest.raises(DataError, match="line 3"):
        classify_file(str(src), out, mini_model_path, BatchOptions())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]
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
    with pytest.raises(DataError, match="NUL bytes"):
        classify_file(str(src), tmp_path / "o.csv", mini_model_path, BatchOptions())


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

from conftest import FUZZ  # noqa: E402
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
    with pytest.raises(DataError, match="binary data") as caught:
        batch.check_inputs(str(src), BatchOptions())
    assert caught.value.code == "not_csv"

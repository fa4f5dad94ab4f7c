from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from intent.errors import DataError
from intent.io.csv_io import (
    BadLineError,
    CsvReader,
    atomic_output,
    detect_delimiter,
    detect_encoding,
    sniff_csv,
    to_excel_csv,
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_encodings(tmp_path: Path) -> None:
    utf8 = write(tmp_path, "a.csv", "texto\nreunión\n".encode())
    bom = write(tmp_path, "b.csv", "texto\nreunión\n".encode("utf-8-sig"))
    excel = write(tmp_path, "c.csv", "texto\nreunión €\n".encode("cp1252"))
    latin = write(tmp_path, "d.csv", b"texto\nreuni\xf3n \x81\n")  # 0x81 is undefined in cp1252
    assert detect_encoding(lambda: utf8.open("rb")) == "utf-8-sig"
    assert detect_encoding(lambda: bom.open("rb")) == "utf-8-sig"
    assert detect_encoding(lambda: excel.open("rb")) == "cp1252"
    assert detect_encoding(lambda: latin.open("rb")) == "latin-1"


def test_late_invalid_utf8_is_caught(tmp_path: Path) -> None:
    path = write(tmp_path, "late.csv", b"texto\n" + b"hola\n" * 30000 + "adiós\n".encode("cp1252"))
    assert detect_encoding(lambda: path.open("rb")) == "cp1252"


@pytest.mark.parametrize(
    ("sample", "expected"),
    [("a,b,c\n1,2,3", ","), ("a;b;c\n1;2;3", ";"), ("a\tb\n1\t2", "\t"), ("texto\nhola, que tal", ",")],
)
def test_detect_delimiter(sample: str, expected: str) -> None:
    assert detect_delimiter(sample) == expected


def test_sniff_semicolon_excel(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", 'mensaje;fecha\n"hola; qué tal";2026\n'.encode("cp1252"))
    assert sniff_csv(path) == ("cp1252", ";")


def test_reader_multiline_and_line_numbers() -> None:
    data = 'id,text\n1,"hola\nsegunda línea"\n2,adiós\n'
    reader = CsvReader(io.StringIO(data, newline=""), "x.csv", ",")
    rows = list(reader)
    assert [r.line for r in rows] == [2, 4]
    assert rows[0].values["text"] == "hola\nsegunda línea"


def test_reader_bad_line_error_names_line() -> None:
    data = "id,text\n1,ok\n2,too,many\n3,ok\n"
    with pytest.raises(BadLineError, match=r"line 3.*--on-bad-lines skip"):
        list(CsvReader(io.StringIO(data), "x.csv", ","))


def test_reader_skip_counts_bad_lines() -> None:
    data = "id,text\n1,ok\n2,too,many\n3,ok\n4\n"
    reader = CsvReader(io.StringIO(data), "x.csv", ",", on_bad_lines="skip")
    rows = list(reader)
    assert [r.values["id"] for r in rows] == ["1", "3", "4"]
    assert rows[-1].values["text"] == ""  # short rows are padded, not dropped
    assert reader.skipped == 1 and reader.skipped_lines == [3]


def test_reader_unbalanced_quote_is_a_bad_line() -> None:
    data = 'id,text\n1,"never closed\n'
    with pytest.raises(BadLineError, match="line 2"):
        list(CsvReader(io.StringIO(data), "x.csv", ","))


def test_reader_header_problems() -> None:
    with pytest.raises(DataError, match="empty"):
        CsvReader(io.StringIO(""), "x.csv", ",")
    with pytest.raises(DataError, match="duplicate column"):
        CsvReader(io.StringIO("a,a\n1,2\n"), "x.csv", ",")


def test_atomic_output_leaves_nothing_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), atomic_output(out) as fh:
        fh.write("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with atomic_output(out) as fh:
        fh.write("whole")
    assert out.read_text() == "whole" and list(tmp_path.iterdir()) == [out]


def test_to_excel_csv_keeps_every_field() -> None:
    plain = 'a,b\n"x; y","line\nbreak"\nñ,"say ""hi"""\n'.encode()
    excel = to_excel_csv(plain)
    assert excel.startswith(b"\xef\xbb\xbf")
    assert excel.decode("utf-8-sig").split("\r\n")[0] == "a;b"
    rows = list(csv.reader(io.StringIO(excel.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows == [["a", "b"], ["x; y", "line\nbreak"], ["ñ", 'say "hi"']]

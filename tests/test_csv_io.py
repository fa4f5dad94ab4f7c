from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

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


def test_to_excel_csv_reads_rows_ended_by_cr_alone() -> None:
    """An old Mac file (CR line ends, a CR inside a quoted field) becomes the same rows for Excel."""
    excel = to_excel_csv(b'a,b\r1,"x\ry"\r2,z\r')
    assert excel.decode("utf-8-sig") == 'a;b\r\n1;"x\ry"\r\n2;z\r\n'


# ---- issue 17: fields of any size, CR-only rows, spreadsheet safety, mixed encodings ------------

import tracemalloc  # noqa: E402

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conftest import FUZZ  # noqa: E402
from intent.config import MAX_FIELD_CHARS  # noqa: E402
from intent.io import csv_io  # noqa: E402
from intent.io.csv_io import (  # noqa: E402
    MIXED_ENCODING,
    CsvWriter,
    spreadsheet_safe,
    spreadsheet_unescape,
)


def plain_records(data: str, delimiter: str) -> list[object]:
    """What the csv module itself reads (strict), errors marked, blank lines dropped."""
    reader = csv.reader(io.StringIO(data, newline=""), delimiter=delimiter, strict=True)
    out: list[object] = []
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return out
        except csv.Error:
            out.append("error")
            continue
        if fields:
            out.append(fields)


def bounded_records(data: str, delimiter: str, cap: int) -> list[object]:
    lines = csv_io._BoundedLines(io.StringIO(data, newline=""), delimiter, cap)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    out: list[object] = []
    while True:
        lines.start_record()
        try:
            fields = next(reader)
        except StopIteration:
            return out
        except csv.Error:
            out.append("error")
            continue
        if fields:
            out.append(fields)


CSV_SOUP = st.lists(
    st.sampled_from(["a", "X", "ñ", " ", ",", ";", '"', '"', '""', "\n", "\r", "\r\n"]), max_size=60
).map("".join)


@given(
    data=CSV_SOUP,
    delimiter=st.sampled_from([",", ";"]),
    cap=st.sampled_from([1, 2, 3, 5, 10**9]),
    piece=st.sampled_from([1, 2, 3, 7, 1 << 16]),
)
def test_bounded_reading_is_the_csv_module_with_fields_cut(data: str, delimiter: str, cap: int, piece: int) -> None:
    """Whatever the text (quotes, CR, LF, broken rows), the bounded reader sees the records the csv
    module sees, each field cut to its first ``cap`` characters; pieces of any size change nothing."""
    old = csv_io._PIECE
    csv_io._PIECE = piece
    try:
        got = bounded_records(data, delimiter, cap)
    finally:
        csv_io._PIECE = old
    expected = [r if r == "error" else [f[:cap] for f in r] for r in plain_records(data, delimiter)]  # type: ignore[union-attr]
    assert got == expected


class _Generated(io.RawIOBase):
    """A CSV made on the fly: one quoted field of ``size`` characters between two ordinary rows."""

    def __init__(self, size: int) -> None:
        block = b'te ofrecemos un gran producto, ""barato"" ' * 2000
        self._parts = iter([b'id,text\n1,"', *[block] * (size // len(block)), b'"\n2,"no, gracias"\n'])
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            self._pending = next(self._parts, b"")
            if not self._pending:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n], self._pending = self._pending[:n], self._pending[n:]
        return n


def test_a_huge_field_is_never_held_in_memory() -> None:
    """Issue 17, item 1: reading a field of tens (fuzz: hundreds) of MB keeps its start and stays small."""
    size = 450_000_000 if FUZZ else 30_000_000
    stream = io.TextIOWrapper(io.BufferedReader(_Generated(size)), encoding="utf-8", newline="")
    tracemalloc.start()
    try:
        reader = CsvReader(stream, "big.csv", ",")
        rows = list(reader)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [r.values["id"] for r in rows] == ["1", "2"]
    assert len(rows[0].values["text"]) == MAX_FIELD_CHARS and rows[0].cut == ("text",)
    assert rows[0].values["text"].startswith('te ofrecemos un gran producto, "barato" ')
    assert rows[1].values["text"] == "no, gracias" and rows[1].cut == () and rows[1].line == 3
    assert reader.cut == 1 and reader.cut_lines == [2]
    assert peak < 40 * MAX_FIELD_CHARS // 4 + 10_000_000  # a few copies of the kept start, not the field


def test_an_unquoted_huge_field_and_too_many_fields_are_bounded_too() -> None:
    cap = 100
    data = "id,text\n1," + "x" * 1000 + "\n2," + ",".join(["y"] * 5000) + "\n3,ok\n"
    reader = CsvReader(io.StringIO(data, newline=""), "x.csv", ",", on_bad_lines="skip", max_field_chars=cap)
    rows = list(reader)
    assert [(r.values["id"], r.values["text"]) for r in rows] == [("1", "x" * cap), ("3", "ok")]
    assert reader.skipped_lines == [3]


def test_a_giant_header_is_refused_without_echoing_it() -> None:
    data = "t" * 5_000_000 + ",x\n1,2\n"
    with pytest.raises(DataError, match="not a header") as caught:
        CsvReader(io.StringIO(data, newline=""), "x.csv", ",")
    assert len(str(caught.value)) < 500


def test_cr_only_file_keeps_its_rows() -> None:
    """Issue 17, item 4: old Mac line ends (CR only), with a lone CR inside a quoted message."""
    data = 'from,text\ra,"Hola Ana\rte escribo…"\rb,no gracias\rc,encantada\r'
    rows = list(CsvReader(io.StringIO(data, newline=""), "cr.csv", ","))
    assert [r.values["from"] for r in rows] == ["a", "b", "c"]
    assert rows[0].values["text"] == "Hola Ana\rte escribo…" and [r.line for r in rows] == [2, 4, 5]


@pytest.mark.parametrize("terminator", ["\n", "\r\n"])
def test_writer_quotes_every_line_break_so_rows_read_back(terminator: str) -> None:
    """Issue 17, item 4: a lone CR (or LF) inside a field is quoted whatever the row terminator."""
    rows = [["a", "Hola Ana\rte escribo"], ["b", "línea\nnueva"], ["c", "fin\r\n"], ["d", "x"]]
    out = io.StringIO(newline="")
    writer = CsvWriter(out, lineterminator=terminator)
    for row in rows:
        writer.writerow(row)
    assert list(csv.reader(io.StringIO(out.getvalue(), newline=""))) == rows


@pytest.mark.parametrize("cell", ["=1+1", "+34 600", "-2", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("x")'])
def test_formula_cells_are_escaped_and_read_back(cell: str) -> None:
    """Issue 17, item 3: OWASP's advice, and the reverse for files coming back (review -> train)."""
    assert spreadsheet_safe(cell) == "'" + cell and spreadsheet_unescape(spreadsheet_safe(cell)) == cell
    assert spreadsheet_safe(spreadsheet_safe(cell)) == spreadsheet_safe(cell)
    out = io.StringIO(newline="")
    CsvWriter(out).writerow([cell, "plain"])
    assert next(csv.reader(io.StringIO(out.getvalue(), newline=""))) == ["'" + cell, "plain"]
    raw = io.StringIO(newline="")
    CsvWriter(raw, escape_formulas=False).writerow([cell])
    assert next(csv.reader(io.StringIO(raw.getvalue(), newline=""))) == [cell]


@pytest.mark.parametrize("cell", ["hola", "'quoted'", "'", "", "'hola", "a=b", "50-60"])
def test_ordinary_cells_are_left_alone(cell: str) -> None:
    assert spreadsheet_safe(cell) == cell and spreadsheet_unescape(cell) == cell


def test_excel_conversion_escapes_formulas() -> None:
    excel = to_excel_csv(b"text,from\n=1+1,@ana\n").decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(excel, newline=""), delimiter=";"))[1] == ["'=1+1", "'@ana"]


def test_a_utf8_file_with_one_cp1252_row_is_repaired_row_by_row(tmp_path: Path) -> None:
    """Should fix: one row pasted from Excel no longer turns every other row into mojibake."""
    data = "texto\nreunión mañana\n".encode() + "adiós y qué tal\n".encode("cp1252") + "ñandú €\n".encode()
    path = write(tmp_path, "mixed.csv", data)
    encoding = detect_encoding(lambda: path.open("rb"))
    assert encoding == MIXED_ENCODING
    with path.open(encoding=encoding, newline="") as fh:
        rows = [r.values["texto"] for r in CsvReader(fh, "mixed.csv", ",")]
    assert rows == ["reunión mañana", "adiós y qué tal", "ñandú €"]


def test_atomic_output_has_the_usual_mode(tmp_path: Path) -> None:
    """Should fix: the output is an ordinary file (0666 less the umask), not forced private."""
    import os

    old = os.umask(0o027)
    try:
        with atomic_output(tmp_path / "out.csv") as fh:
            fh.write("x")
    finally:
        os.umask(old)
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o640


# ---- real-world inputs and the rules one by one ---------------------------------------------------

from intent.io.csv_io import shown_columns  # noqa: E402


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("id;mensaje\n1;hola, ¿qué tal?, te escribo, vale, gracias\n", ";"),  # commas below a ";" header
        ("id;mensaje\r1;hola, ¿qué tal?, te escribo, vale\r2;sí, claro, dime\r", ";"),  # the same, CR only
        ("id;mensaje\r\n1;uno, dos, tres, cuatro\r\n", ";"),
        ("a\tb\n1,2,3,4\t5\n", "\t"),
        ("texto\nhola; qué tal; bien\n", ","),  # one column: nothing to split
        ('a;b,c\n1;"2,3"\n4;"5,6"\n7;"8,9"\n', ";"),  # a tie in the header: csv.Sniffer reads the rows
        ('a,b;c\n1,"2;3"\n4,"5;6"\n', ","),
        ("a;b,c\n1;2;3\n4;5;6\n", ","),  # a tie csv.Sniffer cannot break: the first of comma, semicolon, tab
    ],
)
def test_the_header_decides_the_delimiter(sample: str, expected: str) -> None:
    assert detect_delimiter(sample) == expected


def test_sniff_reads_the_encoding_and_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "cr.csv", "id;mensaje\r1;sí, claro, dímelo, vale\r".encode("cp1252"))
    assert sniff_csv(path) == ("cp1252", ";")


def test_a_mixed_file_decodes_each_bad_byte_as_cp1252() -> None:
    import codecs

    data = "reunión ".encode() + b"\x80 \xe9 \x81" + " ñ".encode()
    assert codecs.decode(data, MIXED_ENCODING) == "reunión € é \x81 ñ"  # 0x81: undefined in cp1252, as Latin-1
    decoder = codecs.getincrementaldecoder(MIXED_ENCODING)()
    assert decoder.decode(b"\xef\xbb\xbfcaf\xe9 ") + decoder.decode("€".encode()[:1]) == "café "
    assert decoder.decode("€".encode()[1:], final=True) == "€"
    assert codecs.lookup(MIXED_ENCODING).name == MIXED_ENCODING
    with pytest.raises(LookupError):
        codecs.lookup("intent_no_such_codec")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"texto\nhola\n", "utf-8-sig"),  # ASCII
        ("texto\nañadir\n".encode() + b"caf\xe9\n", MIXED_ENCODING),  # valid UTF-8 first, then cp1252
        (b"caf\xe9\n" + "texto\nañadir\n".encode(), MIXED_ENCODING),  # cp1252 first, then valid UTF-8
        (b"caf\xe9 \x80\n", "cp1252"),
        (b"caf\xe9 \x81\n", "latin-1"),
        ("€".encode()[:2], "cp1252"),  # a UTF-8 sequence cut by the end of the file
    ],
)
def test_encodings_decided_over_the_whole_file(tmp_path: Path, data: bytes, encoding: str) -> None:
    path = write(tmp_path, "f.csv", data)
    assert detect_encoding(lambda: path.open("rb")) == encoding


def test_a_late_mixed_file_is_found_past_the_first_block(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "ñ\n".encode() + b"a" * (2 << 20) + b"\n\xe9\n")
    assert detect_encoding(lambda: path.open("rb")) == MIXED_ENCODING


def test_rows_are_padded_blank_lines_skipped_and_lines_counted() -> None:
    data = ' id , text \n1,hola\n\n2\n3,"dos\nlíneas"\n4,x\n'
    reader = CsvReader(io.StringIO(data, newline=""), "x.csv", ",")
    assert reader.columns == ["id", "text"] and reader.name == "x.csv"
    rows = list(reader)
    assert [(r.line, r.values) for r in rows] == [
        (2, {"id": "1", "text": "hola"}),
        (4, {"id": "2", "text": ""}),
        (5, {"id": "3", "text": "dos\nlíneas"}),
        (7, {"id": "4", "text": "x"}),
    ]
    assert all(r.cut == () for r in rows) and reader.cut == 0 and reader.skipped == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", r"^x.csv is empty: there is no header row. Fix: check you picked the right file.$"),
        (",\n1,2\n", r"^x.csv: the header row is blank. Fix: the first line must name the columns.$"),
        ("a,b,a,b,c\n", r"^x.csv: duplicate column names a, b. Fix: give each column its own name.$"),
        ('a,"b\n', r"^x.csv: the header row cannot be read \(.*\).$"),
        ("a," + "b" * 1001 + "\n", r"^x.csv: the first line is not a header \(a column name of 1,001 characters\)"),
        (",".join(f"c{i}" for i in range(10_001)) + "\n", r"not a header \(more than 10,000 columns\)"),
    ],
)
def test_header_problems_name_the_file_and_the_fix(data: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        CsvReader(io.StringIO(data, newline=""), "x.csv", ",")


def test_a_header_at_the_limits_is_a_header() -> None:
    long_name = "b" * 1000
    assert CsvReader(io.StringIO(f"a,{long_name}\n", newline=""), "x.csv", ",").columns == ["a", long_name]
    many = [f"c{i}" for i in range(10_000)]
    assert len(CsvReader(io.StringIO(",".join(many) + "\n", newline=""), "x.csv", ",").columns) == 10_000


def test_bad_rows_are_described_and_on_bad_lines_is_checked() -> None:
    with pytest.raises(ValueError, match="on_bad_lines must be 'error' or 'skip', not 'warn'"):
        CsvReader(io.StringIO("a\n"), "x.csv", ",", on_bad_lines="warn")
    with pytest.raises(
        BadLineError,
        match=r"^x.csv, line 3: the row has 3 fields but the header has 2. Fix: repair that row, or pass "
        r"--on-bad-lines skip to skip malformed rows \(they are counted in the summary\).$",
    ):
        list(CsvReader(io.StringIO("a,b\n1,2\n1,2,3\n"), "x.csv", ","))
    with pytest.raises(BadLineError, match=r"line 2: the row cannot be parsed \("):
        list(CsvReader(io.StringIO('a,b\n"x"y,2\n', newline=""), "x.csv", ","))
    wide = "a,b\n" + ",".join(["1"] * 50) + "\n"
    with pytest.raises(BadLineError, match="has 4\\+ fields but the header has 2"):  # the rest was never stored
        list(CsvReader(io.StringIO(wide, newline=""), "x.csv", ",", max_field_chars=10))


def test_cut_fields_are_named_by_column() -> None:
    data = "id,text,note\n1," + "x" * 30 + ",ok\n2,ok," + "y" * 30 + "\n3,a,b\n"
    reader = CsvReader(io.StringIO(data, newline=""), "x.csv", ",", max_field_chars=20)
    rows = list(reader)
    assert [r.cut for r in rows] == [("text",), ("note",), ()]
    assert rows[0].values["text"] == "x" * 20 and rows[1].values["note"] == "y" * 20
    assert reader.cut == 2 and reader.cut_lines == [2, 3]


def test_column_lists_are_shortened_in_messages() -> None:
    assert shown_columns(["a", "b"]) == "a, b"
    assert shown_columns(["x" * 60, "y" * 61]) == "x" * 60 + ", " + "y" * 59 + "…"
    assert shown_columns([f"c{i}" for i in range(32)]) == ", ".join(f"c{i}" for i in range(30)) + " … and 2 more"
    assert shown_columns([f"c{i}" for i in range(30)]).endswith("c29")
    assert shown_columns(["abcdef", "g"], most=1, width=4) == "abc… … and 1 more"


@pytest.mark.parametrize(
    ("value", "escaped"),
    [("=1", "'=1"), ("'=1", "'=1"), ("", ""), ("'", "'"), ("a", "a"), ("+", "'+"), ("-", "'-")],
)
def test_spreadsheet_escaping_boundaries(value: str, escaped: str) -> None:
    assert spreadsheet_safe(value) == escaped


@pytest.mark.parametrize(("value", "raw"), [("'=1", "=1"), ("'", "'"), ("''", "''"), ("'a", "'a"), ("'@", "@")])
def test_spreadsheet_unescaping_boundaries(value: str, raw: str) -> None:
    assert spreadsheet_unescape(value) == raw


def test_writer_delimiter_terminator_and_escape_per_row() -> None:
    out = io.StringIO(newline="")
    writer = CsvWriter(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["a;b", "=x", 3, None])
    writer.writerow(["=y", "z"], escape=False)
    assert out.getvalue() == '"a;b";\'=x;3;\r\n=y;z\r\n'
    raw = io.StringIO(newline="")
    CsvWriter(raw, escape_formulas=False).writerow(["=x", "b"], escape=True)
    assert raw.getvalue() == "'=x,b\n"


def test_atomic_output_to_stdout_and_into_a_new_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with atomic_output(None) as fh:
        fh.write("to stdout")
    assert capsys.readouterr().out == "to stdout"
    deep = tmp_path / "a" / "b" / "out.csv"
    with atomic_output(deep, encoding="utf-8-sig") as fh:
        fh.write("ñ\r\n")
    assert deep.read_bytes() == "\ufeffñ\r\n".encode()  # the encoding asked for, line ends as written
    assert sorted(p.name for p in deep.parent.iterdir()) == ["out.csv"]
    with pytest.raises(KeyboardInterrupt), atomic_output(deep) as fh:
        fh.write("half")
        raise KeyboardInterrupt
    assert deep.read_bytes() == "\ufeffñ\r\n".encode() and sorted(p.name for p in deep.parent.iterdir()) == ["out.csv"]


def test_excel_csv_is_bom_semicolon_crlf() -> None:
    assert to_excel_csv('a,b\n1,"x\ny"\n'.encode("utf-8-sig")) == '\ufeffa;b\r\n1;"x\ny"\r\n'.encode()


def test_a_cut_field_closed_by_the_last_byte_of_the_file() -> None:
    """No line break at the end: the closing quote of a field cut while reading is the file's last character."""
    data = 'id,text\n1,"' + "x" * 50 + '"'
    reader = CsvReader(io.StringIO(data, newline=""), "x.csv", ",", max_field_chars=10)
    (row,) = list(reader)
    assert row.values == {"id": "1", "text": "x" * 10} and row.cut == ("text",) and reader.skipped == 0


def test_every_skipped_row_is_counted() -> None:
    reader = CsvReader(io.StringIO("a,b\n1,2,3\n4\n5,6,7\n"), "x.csv", ",", on_bad_lines="skip")
    assert [r.values["a"] for r in reader] == ["4"]
    assert reader.skipped == 2 and reader.skipped_lines == [2, 4]


def test_the_mixed_codec_is_a_whole_codec() -> None:
    """The search function itself (Python caches what it returns, so each part is checked here)."""
    assert csv_io._mixed_codec("utf-8") is None
    info = csv_io._mixed_codec(MIXED_ENCODING)
    assert info is not None and info.name == MIXED_ENCODING
    data = "\ufeffcafé ".encode() + b"\xe9\x80"
    assert info.decode(data) == ("café é€", len(data))
    decoder = info.incrementaldecoder()
    assert decoder.errors == "intent_cp1252_fallback"
    assert decoder.decode(data[:7]) + decoder.decode(data[7:], final=True) == "café é€"
    assert info.encode("ñ") == ("\ufeffñ".encode(), 1)  # writes as utf-8-sig (intent never writes with it)
    encoder = info.incrementalencoder()
    assert encoder.encode("ñ") == "\ufeffñ".encode()
    assert info.streamreader(io.BytesIO("ñ".encode())).read() == "ñ"
    written = io.BytesIO()
    info.streamwriter(written).write("ñ")
    assert written.getvalue() == "\ufeffñ".encode()


def test_excel_conversion_keeps_crlf_inside_fields() -> None:
    assert to_excel_csv(b'a,b\r\n1,"x\r\ny"\r\n') == '\ufeffa;b\r\n1;"x\r\ny"\r\n'.encode()


def read_all(data: str, cap: int) -> tuple[list[tuple[int, dict[str, str], tuple[str, ...]]], list[int]]:
    reader = CsvReader(io.StringIO(data, newline=""), "x.csv", ",", on_bad_lines="skip", max_field_chars=cap)
    return [(r.line, r.values, r.cut) for r in reader], reader.skipped_lines


@pytest.mark.parametrize(
    "data",
    [
        'id,text\n1,"a""b\ncccccccccccc"\n2,ok\n',  # doubled quotes read before the cap: one character each
        'a,text\n"""","""\ncccccccccccc"\n',  # ... and in a field before it, on the same line
        'id,text\n"aaaaaaaaa\nbbbbb"\n',  # the cap reached exactly at a line end, the field going on
        'id,text\n"aaaaaaaaa\nbb",""""\n',  # the same, then a field of doubled quotes on that line
        "id,text\naaaaaaaaaa,b\n",  # a field of exactly the cap, in a record over it: not cut
        'id,text,more\n1,"abcdefghijkl"x,"q\nz"\n2,ok\n',  # a character after a closing quote: the line is bad
        "id,text\n1," + "X" * 140_000 + "\n2,ok\n",  # an unquoted field over two reads
        'id,text\r1,"a""b\rcccccccccccc"\r2,ok\r',  # CR-only lines
    ],
)
def test_a_cap_keeps_the_start_of_each_field_and_changes_nothing_else(data: str) -> None:
    """Read with a cap of 10 characters: the same rows, lines and bad lines as without one, each value its
    first 10 characters, and the columns longer than that named as cut."""
    cap = 10
    whole, skipped = read_all(data, MAX_FIELD_CHARS)
    expected = [
        (line, {c: v[:cap] for c, v in values.items()}, tuple(c for c, v in values.items() if len(v) > cap))
        for line, values, _ in whole
    ]
    assert read_all(data, cap) == (expected, skipped)


def test_a_tie_in_the_header_is_broken_among_comma_semicolon_and_tab_only() -> None:
    """Another character that recurs in the rows (here X) is never taken for the delimiter."""
    assert detect_delimiter("a,b;cXd\n1X2\n3X4\n5X6\n") == ","


def test_a_cp1252_byte_early_and_utf8_a_megabyte_later_is_mixed(tmp_path: Path) -> None:
    """The invalid bytes of the first megabyte still count when valid UTF-8 comes in a later one."""
    data = b"texto\n" + b"caf\xe9\n" + b"a" * (1 << 20) + "\nreunión\n".encode()
    assert detect_encoding(lambda: io.BytesIO(data)) == MIXED_ENCODING


def test_a_crlf_split_by_a_read_is_one_line_end() -> None:
    """A line of exactly one read (64 KiB) ending in CR, its LF in the next read: the next row's line is right."""
    long_line = "1," + "x" * (65536 - 3) + "\r"
    assert len(long_line) == 65536
    data = "id,text\r\n" + long_line + "\n2,ok\r\n"
    rows = list(CsvReader(io.StringIO(data, newline=""), "x.csv", ","))
    assert [(r.line, r.values["id"]) for r in rows] == [(2, "1"), (3, "2")]


@pytest.mark.parametrize("end", ["\n", ""])
def test_a_record_of_exactly_the_cap_is_counted_whole(end: str) -> None:
    """At the cap (10), a record is read as it is: its extra fields are all counted (past it, from 3 on: "3+")."""
    data = "a,b\n1,2,3,4," + ("5" if end else "56") + end
    with pytest.raises(DataError, match=r"line 2: the row has 5 fields but the header has 2\."):
        list(CsvReader(io.StringIO(data, newline=""), "x.csv", ",", max_field_chars=10))


def test_a_cut_record_does_not_mark_the_next_one() -> None:
    data = "a,b\n1," + "x" * 20 + "\n2,3,4\n"
    reader = CsvReader(io.StringIO(data, newline=""), "x.csv", ",", max_field_chars=10)
    with pytest.raises(DataError, match=r"line 3: the row has 3 fields but the header has 2\."):
        list(reader)
    assert reader.cut_lines == [2]


def test_rows_after_an_unparsable_one_are_read() -> None:
    data = 'id,text\n1,"a"x\n2,ok\n'
    reader = CsvReader(io.StringIO(data, newline=""), "x.csv", ",", on_bad_lines="skip")
    assert [r.values for r in reader] == [{"id": "2", "text": "ok"}] and reader.skipped_lines == [2]


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        ("", "empty_file", "x.csv is empty: there is no header row. Fix: check you picked the right file."),
        ('"a"b,c\n', "not_csv", "x.csv: the header row cannot be read ("),
        ("\nhola\n", "not_csv", "x.csv: the header row is blank. Fix: the first line must name the columns."),
    ],
)
def test_a_header_that_cannot_be_one_says_why_with_its_code(data: str, code: str, message: str) -> None:
    with pytest.raises(DataError) as caught:
        CsvReader(io.StringIO(data, newline=""), "x.csv", ",")
    assert caught.value.code == code and str(caught.value).startswith(message)

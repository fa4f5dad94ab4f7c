"""Reading CSV files as people really have them, and writing results without half files.

Reading: UTF-8 with or without BOM, else cp1252 (Excel in Spain) or Latin-1; comma,
semicolon or tab; quoted multiline fields; streamed row by row with the line each row
starts on, so a malformed row can be named. Writing: a temporary file beside the output,
renamed over it only when complete; every field holding a line break (CR or LF) quoted, and
cells a spreadsheet would run as a formula escaped.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Final

from intent.errors import DataError

_SNIFF_BYTES = 64 * 1024
_DELIMITERS = (",", ";", "\t")
# The csv module refuses fields over 128 KiB by default; long InMails and pasted documents
# are real, so allow any field the length cap can later truncate.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def detect_encoding(open_binary: Callable[[], BinaryIO]) -> str:
    """``utf-8-sig`` when the whole stream is valid UTF-8, else ``cp1252``, else ``latin-1``.

    The whole stream is read: a file can be valid UTF-8 for megabytes and then not.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open_binary() as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        with open_binary() as fh:
            cp1252 = codecs.getincrementaldecoder("cp1252")()
            for block in iter(lambda: fh.read(1 << 20), b""):
                cp1252.decode(block)
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"  # decodes any byte: nothing the user gave is refused


def detect_delimiter(sample: str) -> str:
    """The delimiter of the header line: comma, semicolon (Excel in Spanish) or tab."""
    header = sample.split("\n", 1)[0]
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts.values())
    if best == 0:
        return ","  # a single column
    winners = [d for d, c in counts.items() if c == best]
    if len(winners) == 1:
        return winners[0]
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        return winners[0]


def sniff_csv(path: Path) -> tuple[str, str]:
    """(encoding, delimiter) of a CSV file."""
    encoding = detect_encoding(lambda: path.open("rb"))
    with path.open(encoding=encoding, newline="") as fh:
        sample = fh.read(_SNIFF_BYTES)
    return encoding, detect_delimiter(sample)


@dataclass(frozen=True)
class Row:
    line: int  # physical line the record starts on (1-based, header is line 1)
    values: dict[str, str]


class BadLineError(DataError):
    """A row that cannot be read as a record of the header's shape."""


class CsvReader:
    """Stream the rows of a CSV text stream as `Row` objects, checking each against the header.

    A row with more fields than the header is malformed: with ``on_bad_lines="error"`` it
    stops the run naming its line; with ``"skip"`` it is skipped and counted in ``skipped``.
    A row with fewer fields is padded with empty values (spreadsheets drop trailing blanks).
    """

    def __init__(self, stream: IO[str], name: str, delimiter: str, on_bad_lines: str = "error"):
        if on_bad_lines not in ("error", "skip"):
            raise ValueError(f"on_bad_lines must be 'error' or 'skip', not {on_bad_lines!r}")
        self.name = name
        self.on_bad_lines = on_bad_lines
        self.skipped = 0
        self.skipped_lines: list[int] = []
        self._reader = csv.reader(stream, delimiter=delimiter, strict=True)
        try:
            header = next(self._reader)
        except StopIteration:
            raise DataError(f"{name} is empty: there is no header row. Fix: check you picked the right file.") from None
        except csv.Error as exc:
            raise DataError(f"{name}: the header row cannot be read ({exc}).") from exc
        self.columns = [h.strip() for h in header]
        if not any(self.columns):
            raise DataError(f"{name}: the header row is blank. Fix: the first line must name the columns.")
        dupes = sorted({c for c in self.columns if self.columns.count(c) > 1})
        if dupes:
            raise DataError(f"{name}: duplicate column names {dupes}. Fix: give each column its own name.")

    def __iter__(self) -> Iterator[Row]:
        width = len(self.columns)
        start = self._reader.line_num + 1
        while True:
            try:
                fields = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self._bad(start, f"cannot be parsed ({exc})")
                start = self._reader.line_num + 1
                continue
            line, start = start, self._reader.line_num + 1
            if not fields:
                continue  # a blank line is not a row
            if len(fields) > width:
                self._bad(line, f"has {len(fields)} fields but the header has {width}")
                continue
            fields += [""] * (width - len(fields))
            yield Row(line, dict(zip(self.columns, fields, strict=True)))

    def _bad(self, line: int, what: str) -> None:
        if self.on_bad_lines == "error":
            raise BadLineError(
                f"{self.name}, line {line}: the row {what}. Fix: repair that row, or pass "
                "--on-bad-lines skip to skip malformed rows (they are counted in the summary)."
            )
        self.skipped += 1
        self.skipped_lines.append(line)


#: A cell starting with one of these is run as a formula by spreadsheets (OWASP: CSV injection).
FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would read it as a formula (OWASP's advice).

    Idempotent: an escaped cell starts with ``'`` and is left alone the second time.
    """
    return "'" + value if value[:1] in FORMULA_TRIGGERS and value else value


class CsvWriter:
    """Writes CSV rows that read back as the same rows, and are safe to open in a spreadsheet.

    Python's csv module quotes a field only when it holds a character of the *line
    terminator*: with ``\n`` rows, a lone ``\r`` inside a message goes out unquoted and
    splits the row when read back. Here every field with CR or LF is quoted whatever the
    terminator. Input cells are escaped with `spreadsheet_safe` unless ``escape_formulas`` is
    False (the JSON Lines output carries raw text).
    """

    def __init__(self, fh: IO[str], delimiter: str = ",", lineterminator: str = "\n", escape_formulas: bool = True):
        self._fh, self._terminator, self._escape = fh, lineterminator, escape_formulas
        self._buffer = io.StringIO()
        # "\r\n" as the writer's terminator makes it quote any field holding CR or LF.
        self._writer = csv.writer(self._buffer, delimiter=delimiter, lineterminator="\r\n")

    def writerow(self, row: Iterable[object], escape: bool | None = None) -> None:
        """Write one row; ``escape`` overrides the writer's formula escaping for this row (text cells only)."""
        if self._escape if escape is None else escape:
            row = [spreadsheet_safe(v) if isinstance(v, str) else v for v in row]
        self._writer.writerow(row)
        line = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        self._fh.write(line[:-2] + self._terminator)


@contextlib.contextmanager
def atomic_output(path: Path | None, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """Write to ``path`` through a temporary file renamed at the end; ``None`` means stdout.

    If the block fails or is interrupted, the temporary file is removed and ``path`` is
    left as it was: no half-written output ever sits under the output name.
    """
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def to_excel_csv(data: bytes) -> bytes:
    """A UTF-8 CSV (as `intent classify` writes it) as Excel in Spanish opens it: BOM, ``;``, CRLF."""
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    out = io.StringIO(newline="")
    writer = CsvWriter(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")

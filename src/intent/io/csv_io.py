"""Reading CSV files as people really have them, and writing results without half files.

Reading: UTF-8 with or without BOM, else cp1252 (Excel in Spain) or Latin-1, and a UTF-8 file
with a few cp1252 rows repaired row by row; comma, semicolon or tab; quoted multiline fields;
streamed row by row with the line each row starts on, so a malformed row can be named; no
field ever held in memory past `MAX_FIELD_CHARS`. Writing: a temporary file beside the output,
renamed over it only when complete (with the usual file mode); every field holding a line
break (CR or LF) quoted, and cells a spreadsheet would run as a formula escaped.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Final

from intent.config import MAX_FIELD_CHARS, give_usual_mode
from intent.errors import DataError

_SNIFF_BYTES = 64 * 1024
_DELIMITERS = (",", ";", "\t")
# The csv module refuses fields over 128 KiB by default; the reader below cuts fields at
# MAX_FIELD_CHARS itself (keeping their start), so the module's own limit must not fire first.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

#: A UTF-8 file holding a few cp1252 bytes (one row pasted from Excel): UTF-8, each invalid byte read as cp1252.
MIXED_ENCODING: Final = "intent_utf8_cp1252"
_CP1252_FALLBACK: Final = "intent_cp1252_fallback"


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Decode the bytes UTF-8 refused as cp1252 (bytes cp1252 leaves undefined as Latin-1)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad), exc.end


def _mixed_codec(name: str) -> codecs.CodecInfo | None:
    if name != MIXED_ENCODING:
        return None
    utf8 = codecs.lookup("utf-8-sig")

    class Decoder(utf8.incrementaldecoder):  # type: ignore[name-defined]
        def __init__(self, errors: str = "strict") -> None:
            super().__init__(errors=_CP1252_FALLBACK)

    return codecs.CodecInfo(
        name=MIXED_ENCODING,
        encode=utf8.encode,
        decode=lambda data, errors="strict": utf8.decode(data, _CP1252_FALLBACK),
        incrementalencoder=utf8.incrementalencoder,
        incrementaldecoder=Decoder,
        streamwriter=utf8.streamwriter,
        streamreader=utf8.streamreader,
    )


codecs.register_error(_CP1252_FALLBACK, _cp1252_fallback)
codecs.register(_mixed_codec)
_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes that surrogateescape kept: not valid UTF-8
_LINE_BREAK = re.compile("[\r\n]")


def detect_encoding(open_binary: Callable[[], BinaryIO]) -> str:
    """``utf-8-sig`` when the whole stream is valid UTF-8; `MIXED_ENCODING` when it is UTF-8 with
    some invalid bytes (a cp1252 row pasted in: repaired where it is, the rest stays right);
    else ``cp1252``, else ``latin-1``.

    The whole stream is read: a file can be valid UTF-8 for megabytes and then not.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    valid_non_ascii = invalid = 0
    with open_binary() as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            text = decoder.decode(block)
            if not text.isascii():
                escaped = len(_ESCAPED.findall(text))
                invalid += escaped
                valid_non_ascii += len(text) - len(text.encode("ascii", "ignore")) - escaped
                if invalid and valid_non_ascii:
                    return MIXED_ENCODING  # nothing further can change the answer
        invalid += len(_ESCAPED.findall(decoder.decode(b"", final=True)))
    if not invalid:
        return "utf-8-sig"
    try:
        with open_binary() as fh:
            cp1252 = codecs.getincrementaldecoder("cp1252")()
            for block in iter(lambda: fh.read(1 << 20), b""):
                cp1252.decode(block)
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"  # decodes any byte: nothing the user gave is refused


def detect_delimiter(sample: str) -> str:
    """The delimiter of the header line: comma, semicolon (Excel in Spanish) or tab.

    Only the header counts: messages below it are full of commas. The header ends at the first
    line break of any kind (old Mac files end their lines with CR alone).
    """
    header = _LINE_BREAK.split(sample, maxsplit=1)[0]
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
    cut: tuple[str, ...] = ()  # columns whose value was cut at MAX_FIELD_CHARS while reading


class BadLineError(DataError):
    """A row that cannot be read as a record of the header's shape."""

    code = "bad_row"


#: Characters per read: no line, however long, is ever read whole.
_PIECE: Final = 1 << 16
#: A header with more columns than this, or a column name longer than this, is not a header.
MAX_COLUMNS: Final = 10_000
MAX_COLUMN_NAME_CHARS: Final = 1_000
# States of `_FieldScanner`: the csv module's own, for its default dialect with strict=True.
_FIELD_START, _UNQUOTED, _QUOTED, _QUOTE_SEEN, _FIELD_END, _SKIP_LINE = range(6)
# The rest of a quoted field's value in a piece: anything but a quote, or a doubled quote.
_QUOTED_RUN = re.compile(r'[^"]*(?:""[^"]*)*')


class _FieldScanner:
    """Follows one CSV record character by character (by runs, for speed), keeping at most
    ``cap`` characters of each field's value and the first ``max_fields`` fields.

    ``feed`` appends what to keep to ``out`` (None: only follow, e.g. to replay what was
    already passed on) and says whether the record ended with that piece.
    """

    def __init__(self, delimiter: str, cap: int, max_fields: int) -> None:
        self.delimiter, self.cap, self.max_fields = delimiter, cap, max_fields
        self.stop = re.compile(f"[{re.escape(delimiter)}\r\n]")
        self.state = _FIELD_START
        self.field = 0  # index of the current field
        self.length = 0  # characters of its value read so far
        self.cut: list[int] = []  # fields cut at ``cap``
        self.drop = False  # past max_fields: nothing more of this record is kept

    def _emit(self, text: str, out: list[str] | None) -> None:
        if out is not None and not self.drop:
            out.append(text)

    def _keep(self, raw: str, units: int, out: list[str] | None, pair: bool = False) -> None:
        """Part of the field: ``raw`` as written, ``units`` characters of its value (a ``pair``, ``""``, is one)."""
        if out is not None and not self.drop:
            room = self.cap - self.length
            if units <= room:
                out.append(raw)
            elif room > 0 and not pair:  # never split a doubled quote
                out.append(raw[:room])
            if units > room and (not self.cut or self.cut[-1] != self.field):
                self.cut.append(self.field)
        self.length += units

    def feed(self, piece: str, out: list[str] | None) -> bool:
        i, n = 0, len(piece)
        while i < n:
            state = self.state
            if state == _QUOTED:
                if out is None or self.drop or self.length >= self.cap:  # nothing to keep: skip by runs
                    j = _QUOTED_RUN.match(piece, i).end()  # type: ignore[union-attr]
                    self._keep("", (j - i) - piece.count('""', i, j), None if out is None else [])
                else:
                    j = piece.find('"', i)
                    j = n if j < 0 else j
                    self._keep(piece[i:j], j - i, out)
                if j < n:
                    self.state = _QUOTE_SEEN
                    j += 1
                i = j
            elif state == _QUOTE_SEEN:
                ch = piece[i]
                if ch == '"':
                    self._keep('""', 1, out, pair=True)
                    self.state = _QUOTED
                    i += 1
                else:
                    self._emit('"', out)
                    if ch == self.delimiter or ch in "\r\n":
                        self.state = _FIELD_END
                    else:  # csv.reader (strict) refuses this character: pass it on, skip the rest of the line
                        self._emit(ch, out)
                        self.state = _SKIP_LINE
                        i += 1
            elif state == _UNQUOTED:
                found = self.stop.search(piece, i)
                j = found.start() if found else n
                self._keep(piece[i:j], j - i, out)
                if found:
                    self.state = _FIELD_END
                i = j
            elif state == _SKIP_LINE:
                break
            else:  # _FIELD_START or _FIELD_END
                ch = piece[i]
                if ch in "\r\n":  # a line ends a piece: this is the end of the record
                    if out is not None:
                        out.append(piece[i:])
                    return True
                if ch == self.delimiter:
                    self._emit(ch, out)
                    self.field += 1
                    self.length = 0
                    self.drop = self.drop or self.field >= self.max_fields
                    self.state = _FIELD_START
                    i += 1
                elif state == _FIELD_START and ch == '"':
                    self._emit(ch, out)
                    self.state = _QUOTED
                    i += 1
                else:
                    self.state = _UNQUOTED
        if self.state == _SKIP_LINE and piece[-1:] in ("\r", "\n"):
            if out is not None:
                out.append("\n")
            return True
        return False

    def finish(self, out: list[str]) -> None:
        """The data ended inside the record: close a quoted field whose closing quote came last."""
        if self.state == _QUOTE_SEEN:
            self._emit('"', out)


class _BoundedLines:
    """The lines of a CSV text stream for `csv.reader`, with every field cut at ``cap`` characters.

    csv.reader builds each field whole, and a quoted field may run for gigabytes. Here lines
    are read in bounded pieces. While a record stays under ``cap`` characters in all, its lines
    pass through untouched (no field in it can be longer). Past that, `_FieldScanner` takes
    the rest of the record: it keeps the start of each field, skips the rest without storing
    it, and hands csv.reader the remainder of the record as one string. Written by hand because
    no CSV library bounds the size of a field it streams.
    """

    def __init__(self, stream: IO[str], delimiter: str, cap: int) -> None:
        self._readline, self._delimiter, self._cap = stream.readline, delimiter, cap
        self._pending: str | None = None
        self._record: list[str] = []  # the current record's lines passed on (under cap in all)
        self._record_chars = 0
        self.lines = 0  # physical lines read so far
        self.max_fields = MAX_COLUMNS + 1
        self.cut: list[int] = []  # fields of the last record cut at cap
        self.dropped = False  # the last record had more than max_fields fields: the rest were skipped

    def start_record(self) -> None:
        """csv.reader is about to read a record."""
        self._record, self._record_chars = [], 0
        if self.cut or self.dropped:
            self.cut, self.dropped = [], False

    def _read(self) -> str:
        if self._pending is not None:
            piece, self._pending = self._pending, None
            return piece
        return self._whole_crlf(self._readline(_PIECE))

    def _whole_crlf(self, piece: str) -> str:
        """Keep a "\r\n" that the piece limit split, whole."""
        if len(piece) == _PIECE and piece.endswith("\r"):
            after = self._readline(_PIECE)
            if after == "\n":
                return piece + after
            self._pending = after or None
        return piece

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self._pending is None:
            piece = self._readline(_PIECE)
            if piece.endswith("\n"):
                size = self._record_chars + len(piece)
                if size <= self._cap:  # the usual line: whole, and its record still short
                    self.lines += 1
                    self._record.append(piece)
                    self._record_chars = size
                    return piece
            else:
                piece = self._whole_crlf(piece)
        else:
            piece, self._pending = self._pending, None
        return self._assemble(piece)

    def _assemble(self, piece: str) -> str:
        """A line read in several pieces (or the end of the file), or, past the cap, the rest of the record cut."""
        parts: list[str] = []
        size = self._record_chars + len(piece)
        while piece:
            if size > self._cap:
                return self._cut_record(parts, piece)
            parts.append(piece)
            if piece[-1] in "\r\n":
                break
            piece = self._read()
            size += len(piece)
        if not parts:
            raise StopIteration
        line = parts[0] if len(parts) == 1 else "".join(parts)
        self.lines += 1
        self._record.append(line)
        self._record_chars = size
        return line

    def _cut_record(self, parts: list[str], piece: str) -> str:
        scanner = _FieldScanner(self._delimiter, self._cap, self.max_fields)
        for line in self._record:  # csv.reader has these already: only follow them
            scanner.feed(line, None)
        self._record = []
        out: list[str] = []
        for part in parts:
            scanner.feed(part, out)
        ended = scanner.feed(piece, out)
        line_open = piece[-1] not in "\r\n"
        self.lines += not line_open
        while not ended and (piece := self._read()):
            ended = scanner.feed(piece, out)
            line_open = piece[-1] not in "\r\n"
            self.lines += not line_open
        if not ended:
            scanner.finish(out)
        self.lines += line_open  # the last line of the file, without a line break
        self.cut, self.dropped = scanner.cut, scanner.drop
        return "".join(out)


class CsvReader:
    """Stream the rows of a CSV text stream as `Row` objects, checking each against the header.

    A row with more fields than the header is malformed: with ``on_bad_lines="error"`` it
    stops the run naming its line; with ``"skip"`` it is skipped and counted in ``skipped``.
    A row with fewer fields is padded with empty values (spreadsheets drop trailing blanks).
    A field longer than ``max_field_chars`` is cut while it is read: its start is kept, the row
    says which columns were cut (`Row.cut`), and ``cut`` counts them.
    """

    def __init__(
        self,
        stream: IO[str],
        name: str,
        delimiter: str,
        on_bad_lines: str = "error",
        max_field_chars: int = MAX_FIELD_CHARS,
    ):
        if on_bad_lines not in ("error", "skip"):
            raise ValueError(f"on_bad_lines must be 'error' or 'skip', not {on_bad_lines!r}")
        self.name = name
        self.on_bad_lines = on_bad_lines
        self.skipped = 0
        self.skipped_lines: list[int] = []
        self.cut = 0
        self.cut_lines: list[int] = []
        self._lines = _BoundedLines(stream, delimiter, max_field_chars)
        self._reader = csv.reader(self._lines, delimiter=delimiter, strict=True)
        try:
            header = next(self._reader)
        except StopIteration:
            raise DataError(
                f"{name} is empty: there is no header row. Fix: check you picked the right file.", "empty_file"
            ) from None
        except csv.Error as exc:
            raise DataError(f"{name}: the header row cannot be read ({exc}).", "not_csv") from exc
        self.columns = [h.strip() for h in header]
        longest = max((len(c) for c in self.columns), default=0)
        if self._lines.cut or longest > MAX_COLUMN_NAME_CHARS or len(self.columns) > MAX_COLUMNS:
            what = (
                f"more than {MAX_COLUMNS:,} columns"
                if len(self.columns) > MAX_COLUMNS
                else f"a column name of {longest:,}{'+' if self._lines.cut else ''} characters"
            )
            raise DataError(
                f"{name}: the first line is not a header ({what}). Fix: the first line must name the columns, "
                "e.g. text (or save the file again as CSV from your spreadsheet program).",
                "not_csv",
            )
        if not any(self.columns):
            raise DataError(f"{name}: the header row is blank. Fix: the first line must name the columns.", "not_csv")
        dupes = sorted({c for c in self.columns if self.columns.count(c) > 1})
        if dupes:
            raise DataError(
                f"{name}: duplicate column names {shown_columns(dupes)}. Fix: give each column its own name.",
                "duplicate_columns",
            )
        self._lines.max_fields = len(self.columns) + 1  # one more is enough to see a row is malformed

    def __iter__(self) -> Iterator[Row]:
        width = len(self.columns)
        while True:
            self._lines.start_record()
            line = self._lines.lines + 1
            try:
                fields = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self._bad(line, f"cannot be parsed ({exc})")
                continue
            if not fields:
                continue  # a blank line is not a row
            if len(fields) > width:
                more = "+" if self._lines.dropped else ""
                self._bad(line, f"has {len(fields)}{more} fields but the header has {width}")
                continue
            if len(fields) < width:
                fields += [""] * (width - len(fields))
            if self._lines.cut:
                cut = tuple(self.columns[i] for i in self._lines.cut)
                self.cut += len(cut)
                self.cut_lines.append(line)
                yield Row(line, dict(zip(self.columns, fields, strict=True)), cut)
            else:
                yield Row(line, dict(zip(self.columns, fields, strict=True)))

    def _bad(self, line: int, what: str) -> None:
        if self.on_bad_lines == "error":
            raise BadLineError(
                f"{self.name}, line {line}: the row {what}. Fix: repair that row, or pass "
                "--on-bad-lines skip to skip malformed rows (they are counted in the summary)."
            )
        self.skipped += 1
        self.skipped_lines.append(line)


def shown_columns(columns: list[str], most: int = 30, width: int = 60) -> str:
    """Column names for a message: each shortened, and not too many of them."""
    names = [c if len(c) <= width else c[: width - 1] + "…" for c in columns[:most]]
    more = f" … and {len(columns) - most:,} more" if len(columns) > most else ""
    return ", ".join(names) + more


#: A cell starting with one of these is run as a formula by spreadsheets (OWASP: CSV injection).
FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would read it as a formula (OWASP's advice).

    Idempotent: an escaped cell starts with ``'`` and is left alone the second time.
    """
    return "'" + value if value[:1] in FORMULA_TRIGGERS and value else value


def spreadsheet_unescape(value: str) -> str:
    """Undo `spreadsheet_safe`: a cell ``'`` + a formula trigger reads back without the ``'``.

    For files this tool wrote coming back in (``intent review`` output given to ``intent train``).
    """
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_TRIGGERS and len(value) > 1 else value


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
        give_usual_mode(tmp)
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

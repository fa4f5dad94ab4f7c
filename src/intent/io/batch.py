"""Batch classification of CSV files and LinkedIn exports, streamed in chunks.

Every input row comes out, in input order, with all its columns plus the intent columns; the
rows of LinkedIn's export also get their conversation, direction and owner
(`intent.io.owner`), and an export's conversations are combined (`intent.io.conversations`).
Memory stays bounded: rows are read, classified and written a chunk at a time, with at most
a few chunks in flight across worker processes; conversations keep a few numbers per message.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import sys
import time
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Final, Protocol

from intent.config import LABELS, MAX_FIELD_CHARS
from intent.errors import ColumnError, DataError
from intent.io.conversations import (
    THREAD_COLUMNS,
    Conversation,
    ConversationCollector,
    ConversationSummary,
    Sender,
    top_pitchers,
    write_conversations,
)
from intent.io.csv_io import (
    CsvReader,
    CsvWriter,
    Row,
    atomic_output,
    detect_delimiter,
    detect_encoding,
    spreadsheet_safe,
)
from intent.io.excel_es import SpanishExcel
from intent.io.linkedin import Layout, Source, detect_layout, resolve_inputs
from intent.io.owner import LINKEDIN_KINDS, Owner, OwnerFinder, RowReader, Thread, Threader

if TYPE_CHECKING:  # the model stack is imported where a model is loaded: in workers, or for --jobs 1
    from intent.model import IntentModel

PREDICTION_COLUMNS = (
    "intent",
    "confidence",
    "uncertain",
    *(f"proba_{label}" for label in LABELS),
    "status",
    "language",
)
SOURCE_COLUMN = "source_file"
FORMATS = ("csv", "jsonl")

#: One classified message: label, confidence, uncertain, probabilities, status, language.
Result = tuple[str | None, float | None, bool, tuple[float, ...] | None, str, str]


@dataclass
class BatchOptions:
    """How to read, classify and write.

    Attributes
    ----------
    text_column: the column holding the text (None: LinkedIn layouts or a common name).
    on_bad_lines: ``error`` stops at a malformed row; ``skip`` skips it and counts it.
    fmt: ``csv`` or ``jsonl``.
    excel: CSV for Excel in Spanish: UTF-8 with BOM and ``;``.
    jobs: worker processes (1: classify in this process).
    chunk_size: rows per chunk sent to a worker.
    threshold: overrides the model's uncertainty threshold.
    languages: ISO 639-1 codes treated as supported (others get status other_language);
        None skips language identification.
    progress: show a progress bar on stderr.
    owner: whose export it is (a name or profile URL); None: found from the export itself.
    """

    text_column: str | None = None
    on_bad_lines: str = "error"
    fmt: str = "csv"
    excel: bool = False
    jobs: int = 1
    chunk_size: int = 1000
    threshold: float | None = None
    languages: tuple[str, ...] | None = ("es",)
    progress: bool = False
    owner: str | None = None

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise DataError(f"unknown format {self.fmt!r}; choose one of {', '.join(FORMATS)}")
        if self.jobs < 1:
            raise DataError(f"--jobs must be at least 1, got {self.jobs}")
        if self.chunk_size < 1:
            raise DataError(f"chunk size must be at least 1, got {self.chunk_size}")
        if self.on_bad_lines not in ("error", "skip"):
            raise DataError(f"--on-bad-lines must be 'error' or 'skip', got {self.on_bad_lines!r}")


@dataclass
class Summary:
    rows: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    uncertain: int = 0
    skipped: int = 0
    skipped_lines: dict[str, list[int]] = field(default_factory=dict)
    cut: int = 0  # fields longer than MAX_FIELD_CHARS, cut while reading (their start is kept)
    cut_lines: dict[str, list[int]] = field(default_factory=dict)
    seconds: float = 0.0
    export: bool = False  # some input was LinkedIn's messages.csv or Invitations.csv
    owner: Owner | None = None
    incoming: Counter[str] = field(default_factory=Counter)  # labels of the other parties' messages
    outgoing: int = 0  # the owner's own messages (drafts included): labeled, not counted as wants
    conversations: list[Conversation] | None = None  # None: not an export, or its owner is unknown
    senders: list[Sender] = field(default_factory=list)
    #: What the conversations were combined from (no text), to combine them again after relabeling.
    collector: ConversationCollector | None = field(default=None, repr=False)
    threshold: float | None = None  # the threshold the messages were flagged with

    def format(self, output: str) -> str:
        """Counts only (no names, no text): what a run did."""
        rate = self.rows / self.seconds if self.seconds > 0 else 0.0
        counts = " · ".join(f"{label} {self.labels[label]:,}" for label in LABELS)
        if self.owner is not None:  # what the others want; the owner's messages are in the file, labeled
            counts = (
                "from others: "
                + " · ".join(f"{label} {self.incoming[label]:,}" for label in LABELS)
                + f" · your own messages {self.outgoing:,} (labeled in the file, not counted here)"
            )
        unlabeled = {s: n for s, n in self.statuses.items() if s not in ("ok", "truncated")}
        lines = [
            f"intent: {self.rows:,} rows classified in {self.seconds:.1f}s ({rate:,.0f} messages/s) -> {output}",
            f"  {counts}",
            f"  uncertain {self.uncertain:,}"
            + "".join(f" · {status} {n:,}" for status, n in sorted(unlabeled.items()))
            + (f" · truncated {self.statuses['truncated']:,}" if self.statuses["truncated"] else "")
            + f" · skipped malformed rows {self.skipped:,}",
        ]
        for name, lines_ in self.skipped_lines.items():
            lines.append(f"  skipped in {name}: line(s) {_shown_lines(lines_)}")
        if self.cut:
            lines.append(
                f"  {self.cut:,} field(s) longer than {MAX_FIELD_CHARS:,} characters were cut while reading "
                "(their start is kept; status truncated when it is the text)"
            )
        for name, lines_ in self.cut_lines.items():
            lines.append(f"  cut in {name}: row(s) starting on line(s) {_shown_lines(lines_)}")
        if self.conversations is not None:
            lines.append(ConversationSummary.of(self.conversations).format())
        elif self.export:
            lines.append(
                "  whose export this is cannot be told, so directions are unknown and conversations are not "
                "combined. Fix: pass --owner NAME_OR_PROFILE_URL."
            )
        return "\n".join(lines)

    def format_people(self) -> str:
        """Names: whose export it is and who pitched most. For the user's terminal only, never a log."""
        if self.owner is None:
            return ""
        how = "as given by --owner" if self.owner.found_by == "option" else "the person in every conversation"
        lines = [f"  export of {self.owner.name} ({how})"]
        pitched = top_pitchers(self.senders)
        if pitched:
            lines.append("  pitched most: " + " · ".join(f"{name} {n:,}" for name, n in pitched))
        return "\n".join(lines)


def _shown_lines(lines: list[int]) -> str:
    return ", ".join(map(str, lines[:10])) + (" …" if len(lines) > 10 else "")


class BatchObserver(Protocol):
    """Watches a run without changing it: a page showing progress and rows, for example.

    ``thread`` is the row's conversation, direction and people (None outside LinkedIn's export).
    """

    def progress(self, done_bytes: int, total_bytes: int) -> None: ...

    def row(self, source: str, text: str, values: dict[str, str], result: Result, thread: Thread | None) -> None: ...


# ---- classification, in this process or in workers -------------------------------------

_WORKER_MODEL: IntentModel | None = None


_WORKER_LANGUAGES: tuple[str, ...] | None = None


def _init_worker(model_path: str, threshold: float | None, languages: tuple[str, ...] | None) -> None:
    global _WORKER_MODEL, _WORKER_LANGUAGES
    from intent.api import load_model

    _WORKER_MODEL = load_model(model_path).with_threshold(threshold)
    _WORKER_LANGUAGES = languages


def _worker_threshold() -> float:
    assert _WORKER_MODEL is not None, "worker not initialised"
    return _WORKER_MODEL.threshold


def _classify_in_worker(texts: list[str]) -> list[Result]:
    assert _WORKER_MODEL is not None, "worker not initialised"
    return classify_texts(_WORKER_MODEL, texts, _WORKER_LANGUAGES)


def classify_texts(model: IntentModel, texts: list[str], languages: tuple[str, ...] | None = ("es",)) -> list[Result]:
    """Classify a chunk; compact tuples travel cheaply between processes."""
    out: list[Result] = []
    for p in model.classify(texts, languages):
        if p.label is None:
            out.append((None, None, True, None, p.status, p.language))
        else:
            probs = tuple(p.probabilities[label] for label in LABELS)
            out.append((p.label, p.confidence, p.uncertain, probs, p.status, p.language))
    return out


# ---- reading ---------------------------------------------------------------------------


class _CountingReader(io.RawIOBase):
    """Counts the bytes read from a binary stream, for a progress bar in bytes (with an ETA)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


class _ParquetReader:
    """Rows of a Parquet file as `Row` objects, a record batch at a time (bounded memory)."""

    def __init__(self, source: Source) -> None:
        from intent.extras import require

        pq = require("pyarrow.parquet", "parquet")

        self.name = source.name
        self.skipped = 0
        self.skipped_lines: list[int] = []
        self._fh = source.open()
        try:
            self._file = pq.ParquetFile(self._fh)
        except Exception as exc:  # pyarrow raises several kinds for a damaged file
            self._fh.close()
            raise DataError(f"{source.name} cannot be read as Parquet ({exc}).") from exc
        self.columns = list(self._file.schema_arrow.names)
        self.rows_read = 0
        self.total_rows = max(1, self._file.metadata.num_rows)

    def __iter__(self) -> Iterator[Row]:
        for batch in self._file.iter_batches(batch_size=1000):
            data = batch.to_pydict()
            for i in range(batch.num_rows):
                self.rows_read += 1
                values = {c: "" if data[c][i] is None else str(data[c][i]) for c in self.columns}
                yield Row(self.rows_read, values)

    def close(self) -> None:
        self._fh.close()


@dataclass
class _Opened:
    source: Source
    reader: CsvReader | _ParquetReader
    layout: Layout
    close: Any  # () -> None
    progress: Any  # () -> bytes of the source consumed so far (for the progress bar)


#: How common binary files start: a zip (even a damaged one), PDF, PNG, GIF, JPEG, an old Office document.
_BINARY_MAGIC: Final = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\xd0\xcf\x11\xe0",
)
#: Control characters no text file holds (tab, line ends and form feed excepted).
_CONTROL_BYTES: Final = frozenset(range(32)) - {9, 10, 12, 13} | {127}


def _looks_binary(head: bytes) -> bool:
    """A known binary signature, or a first line with more than 1% control characters (random bytes hold
    about 11%). Only the first line: a CSV's fields may hold any character, its column names do not."""
    if head.startswith(_BINARY_MAGIC):
        return True
    first = head.split(b"\n", 1)[0]
    control = sum(1 for byte in first if byte in _CONTROL_BYTES)
    return control > max(2, len(first) // 100)


def _reads_like_text(name: str) -> bool:
    """A "column name" of five words or more, or over 60 characters, is a sentence."""
    return len(name.split()) >= 5 or len(name) > 60


def _refuse_plain_text(columns: list[str], sample: str, name: str) -> None:
    """A text file is not a CSV: when no text column is found and its first line reads as sentences (all of
    it, or some of it in a file of one line), say so instead of offering its words as columns."""
    names = [c for c in columns if c.strip()]
    one_line = len([line for line in sample.splitlines() if line.strip()]) <= 1
    prose = [_reads_like_text(c) for c in names]
    if prose and (all(prose) or (one_line and any(prose))):
        raise DataError(
            f"{name} is not a CSV: its first line reads like text, not like column names. Fix: save the "
            "messages as CSV with a header row (e.g. text), or point at LinkedIn's export.",
            "not_csv",
        )


def _open(source: Source, options: BatchOptions) -> _Opened:
    if source.kind == "parquet":
        parquet = _ParquetReader(source)
        try:
            layout = detect_layout(parquet.columns, source.name, options.text_column)
        except BaseException:
            parquet.close()
            raise
        return _Opened(
            source, parquet, layout, parquet.close, lambda: source.size * parquet.rows_read // parquet.total_rows
        )
    encoding = detect_encoding(source.open)
    with source.open() as raw:
        head = raw.read(64 * 1024)
    if b"\x00" in head:
        raise DataError(
            f"{source.name} contains NUL bytes: it is not a text CSV (a spreadsheet .xlsx, or UTF-16?). "
            "Fix: save it as CSV UTF-8 from your spreadsheet program.",
            "not_csv",
        )
    if _looks_binary(head):
        raise DataError(
            f"{source.name} is not a text CSV: it holds binary data (a damaged zip, an image, a document?). "
            "Fix: save the messages as CSV UTF-8 from your spreadsheet program, or point at LinkedIn's export.",
            "not_csv",
        )
    sample = head.decode(encoding, errors="ignore")
    counter = _CountingReader(source.open())
    text = io.TextIOWrapper(io.BufferedReader(counter), encoding=encoding, newline="")
    try:
        reader = CsvReader(text, source.name, detect_delimiter(sample), options.on_bad_lines)
        try:
            layout = detect_layout(reader.columns, source.name, options.text_column)
        except ColumnError:
            _refuse_plain_text(reader.columns, sample, source.name)
            raise
    except BaseException:
        text.close()
        raise
    return _Opened(source, reader, layout, text.close, lambda: counter.count)


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---- writing ---------------------------------------------------------------------------


def _prediction_names(input_columns: list[str], ours: Sequence[str] = PREDICTION_COLUMNS) -> dict[str, str]:
    """Our column names, suffixed where an input column already uses one."""
    taken = set(input_columns)
    return {c: (f"{c}_pred" if c in taken else c) for c in ours}


class _Writer:
    def __init__(
        self,
        fh: IO[str],
        columns: list[str],
        names: dict[str, str],
        options: BatchOptions,
        thread_names: dict[str, str] | None = None,
    ):
        self.fh, self.columns, self.names, self.fmt = fh, columns, names, options.fmt
        self.spanish: SpanishExcel | None = None
        if self.fmt == "csv":
            self.csv = CsvWriter(
                fh, delimiter=";" if options.excel else ",", lineterminator="\r\n" if options.excel else "\n"
            )
            header = columns + [names[c] for c in PREDICTION_COLUMNS]
            if options.excel:  # for people: Spanish headers and values of our columns
                position = {name: i for i, name in enumerate(columns)}
                ours = {position[shown]: ours for ours, shown in (thread_names or {}).items()}
                ours.update({len(columns) + k: c for k, c in enumerate(PREDICTION_COLUMNS)})
                if columns and columns[0] == SOURCE_COLUMN:  # several files read: which one a row is from
                    ours.setdefault(0, SOURCE_COLUMN)
                self.spanish = SpanishExcel(ours)
                header = self.spanish.header(header)
            self.csv.writerow(header)

    def write(self, values: dict[str, str], result: Result) -> None:
        label, confidence, uncertain, probs, status, language = result
        if self.fmt == "jsonl":
            record: dict[str, Any] = {c: values.get(c, "") for c in self.columns}
            record[self.names["intent"]] = label
            record[self.names["confidence"]] = confidence
            record[self.names["uncertain"]] = uncertain
            for label_, p in zip(LABELS, probs or (None,) * len(LABELS), strict=True):
                record[self.names[f"proba_{label_}"]] = p
            record[self.names["status"]] = status
            record[self.names["language"]] = language
            self.fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            return
        fmt = "{:.4f}".format
        cells = (
            [spreadsheet_safe(values.get(c, "")) for c in self.columns]
            + [label or "", "" if confidence is None else fmt(confidence), "true" if uncertain else "false"]
            + (["" for _ in LABELS] if probs is None else [fmt(p) for p in probs])
            + [status, language]
        )
        if self.spanish is not None:
            cells = self.spanish.row(cells)
        self.csv.writerow(cells, escape=False)  # the input cells are escaped above; ours never start with a trigger


# ---- the run ---------------------------------------------------------------------------


def classify_file(
    input_: str | list[str],
    output: Path | None,
    model_path: Path,
    options: BatchOptions,
    force: bool = False,
    observer: BatchObserver | None = None,
    conversations: bool = False,
) -> Summary:
    """Classify INPUT (CSV or Parquet files, folders, globs, ``-``, an export .zip) into OUTPUT (None: stdout).

    With ``conversations``, OUTPUT gets one row per conversation and invitation of LinkedIn's
    export (`intent.io.conversations.CONVERSATION_COLUMNS`) instead of one row per message.
    """
    sources = resolve_inputs([input_] if isinstance(input_, str) else input_)
    _check_output(output, sources, force)
    opened = _open_all(sources, options)
    try:
        mode = "conversations" if conversations else "messages"
        classifier = _Classifier(model_path, options, total_bytes=sum(o.source.size for o in opened))
        return _run(opened, output, classifier, options, observer, mode)
    finally:
        for o in opened:
            o.close()


def classify_conversations(
    export: str | Path | Sequence[str | Path],
    *,
    model: Any = None,
    owner: str | None = None,
    languages: tuple[str, ...] | None = ("es",),
    threshold: float | None = None,
) -> list[Conversation]:
    """What the other side of each conversation of a LinkedIn export wants from its owner.

    ``export`` is the export's .zip or folder (or its messages.csv / Invitations.csv); ``model``
    an `IntentModel`, a model file or None (the default model); ``owner`` whose export it is,
    as a name or profile URL (None: found from the export). Returns one `Conversation` per
    conversation and invitation, the most recent first. Raises `DataError` when the input is
    not LinkedIn's export or its owner cannot be told (then pass ``owner``).

    The other party's messages are combined by `intent.io.conversations.combine`: only theirs
    count, a confident pitch decides unless everything they wrote after it is confidently
    genuine, otherwise their latest messages weigh most.
    """
    from intent.api import load_model

    inputs = [str(export)] if isinstance(export, str | Path) else [str(e) for e in export]
    options = BatchOptions(owner=owner, languages=languages, threshold=threshold)
    loaded = load_model(model) if model is None or isinstance(model, str | Path) else model
    opened = _open_all(resolve_inputs(inputs), options)
    try:
        summary = _run(opened, None, _Classifier(None, options, loaded), options, None, "collect")
    finally:
        for o in opened:
            o.close()
    assert summary.conversations is not None  # _run refuses an input without them
    return summary.conversations


def _open_all(sources: list[Source], options: BatchOptions) -> list[_Opened]:
    opened: list[_Opened] = []
    try:
        for source in sources:
            opened.append(_open(source, options))
    except BaseException:
        for o in opened:
            o.close()
        raise
    return opened


def check_inputs(input_: str | list[str], options: BatchOptions) -> list[tuple[Source, Layout]]:
    """Open INPUT and read its headers without classifying: a bad file or column fails here, fast."""
    sources = resolve_inputs([input_] if isinstance(input_, str) else input_)
    opened = _open_all(sources, options)
    for o in opened:
        o.close()
    return [(o.source, o.layout) for o in opened]


def _check_output(output: Path | None, sources: list[Source], force: bool) -> None:
    if output is None:
        return
    inputs = [on_disk.resolve() for s in sources if (on_disk := s.on_disk) is not None]
    if output.resolve() in inputs:
        raise DataError(f"refusing to overwrite the input {output}. Fix: choose another -o OUTPUT.")
    if output.is_dir():
        raise DataError(f"{output} is a folder. Fix: give -o a file name, e.g. {output / 'classified.csv'}.")
    if output.exists() and not force:
        raise DataError(f"{output} already exists. Fix: pass --force to replace it, or choose another -o OUTPUT.")


def _run(
    opened: list[_Opened],
    output: Path | None,
    classifier: _Classifier,
    options: BatchOptions,
    observer: BatchObserver | None = None,
    mode: str = "messages",
) -> Summary:
    """Classify every row; ``mode``: write the ``messages`` or the ``conversations`` to OUTPUT, or only ``collect``."""
    multi = len(opened) > 1
    columns: list[str] = [SOURCE_COLUMN] if multi else []
    renames = [_merge_columns(columns, o.reader.columns) for o in opened]
    summary = Summary(export=any(o.layout.kind in LINKEDIN_KINDS for o in opened))
    threader = _threader(opened, options, summary, need_owner=mode != "messages")
    thread_names = _prediction_names(columns, THREAD_COLUMNS) if threader else {}
    columns += list(thread_names.values())
    names = _prediction_names(columns)
    collector = ConversationCollector() if threader and threader.owner else None
    started = time.perf_counter()
    total_bytes = sum(o.source.size for o in opened)
    bar = _progress_bar(total_bytes) if options.progress else None
    encoding = "utf-8-sig" if options.excel else "utf-8"
    sink = atomic_output(output, encoding=encoding) if mode != "collect" else contextlib.nullcontext(None)
    with sink as fh, classifier:
        writer = _Writer(fh, columns, names, options, thread_names) if fh is not None and mode == "messages" else None
        done_bytes = 0
        for o, rename in zip(opened, renames, strict=True):
            chunks = _chunks(iter(o.reader), options.chunk_size)
            threaded = threader is not None and o.layout.kind in LINKEDIN_KINDS
            for rows, results in classifier.map(chunks, o.layout):
                for row, result in zip(rows, results, strict=True):
                    values = {rename.get(k, k): v for k, v in row.values.items()} if rename else row.values
                    if multi:
                        values[SOURCE_COLUMN] = o.source.name
                    thread = threader(o.layout.kind, row.values) if threaded and threader is not None else None
                    if thread is not None:
                        values = {**values, **_thread_values(thread, thread_names)}
                        _count_direction(summary, thread, result)
                        if collector is not None:
                            collector.add(thread, result[0], result[3], result[2], summary.rows)
                    if writer is not None:
                        writer.write(values, result)
                    _count(summary, result)
                    if observer is not None:
                        observer.row(o.source.name, o.layout.text_of(row.values), values, result, thread)
                if observer is not None:
                    observer.progress(done_bytes + o.progress(), total_bytes)
                if bar is not None:
                    bar.update(done_bytes + o.progress() - bar.n)
                    bar.set_postfix(rows=f"{summary.rows:,}", refresh=False)
            done_bytes += o.progress()
            summary.skipped += o.reader.skipped
            if o.reader.skipped_lines:
                summary.skipped_lines[o.source.name] = o.reader.skipped_lines
            if isinstance(o.reader, CsvReader) and o.reader.cut:
                summary.cut += o.reader.cut
                summary.cut_lines[o.source.name] = o.reader.cut_lines
        if collector is not None:
            summary.conversations = collector.conversations(classifier.threshold)
            summary.senders = collector.senders()
            summary.collector, summary.threshold = collector, classifier.threshold
        if fh is not None and mode == "conversations":
            write_conversations(fh, summary.conversations or [], options.fmt, options.excel)
    if bar is not None:
        bar.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _threader(opened: list[_Opened], options: BatchOptions, summary: Summary, need_owner: bool) -> Threader | None:
    """Find whose export it is (a first, reading-only pass over LinkedIn's files) and thread its rows.

    None when no input is LinkedIn's export; with ``need_owner`` (conversations), an export
    whose owner cannot be told is an error, since nothing could be combined.
    """
    linkedin = [o for o in opened if o.layout.kind in LINKEDIN_KINDS]
    if not linkedin:
        if options.owner is not None or need_owner:
            what = "--owner" if options.owner is not None and not need_owner else "conversations"
            raise DataError(
                f"{what} needs LinkedIn's export (messages.csv or Invitations.csv, recognised by their headers); "
                f"{', '.join(o.source.name for o in opened)} is not. Fix: point at the export's .zip or folder, "
                "or leave out --conversations and --owner."
            )
        return None
    finder = OwnerFinder()
    read = RowReader()
    for o in linkedin:
        again = _open(o.source, options)
        try:
            for row in again.reader:
                finder.add(read(o.layout.kind, row.values))
        finally:
            again.close()
    summary.owner = finder.owner(options.owner)
    if summary.owner is None and need_owner:
        who = finder.contenders()
        why = (
            f"{' and '.join(repr(n) for n in who[:2])} are in every message"
            if len(who) > 1
            else "no one is in most of its messages"
        )
        raise DataError(
            f"cannot tell whose export this is ({why}). Fix: pass --owner with your name as the export writes it, "
            "or your LinkedIn profile URL."
        )
    return Threader(summary.owner)


def _thread_values(thread: Thread, names: dict[str, str]) -> dict[str, str]:
    return {
        names["conversation_id"]: thread.conversation_id,
        names["direction"]: thread.direction,
        names["owner"]: thread.owner,
    }


def _merge_columns(columns: list[str], new: list[str]) -> dict[str, str]:
    """Add a file's columns to the output's; a name another file already has, in any case
    ("FROM" in messages.csv, "From" in Invitations.csv), shares its column. Returns the renames."""
    earlier = {c.lower(): c for c in columns}
    rename = {}
    for c in new:
        if c.lower() in earlier and earlier[c.lower()] != c:
            rename[c] = earlier[c.lower()]
        elif c not in columns:
            columns.append(c)
    return rename


def _count_direction(summary: Summary, thread: Thread, result: Result) -> None:
    if thread.direction == "outgoing":
        summary.outgoing += 1
    elif thread.direction == "incoming" and result[0] is not None:
        summary.incoming[result[0]] += 1


def _count(summary: Summary, result: Result) -> None:
    label, _, uncertain, _, status, _ = result
    summary.rows += 1
    summary.statuses[status] += 1
    if label is not None:
        summary.labels[label] += 1
        summary.uncertain += uncertain


def _progress_bar(total_bytes: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total_bytes, unit="B", unit_scale=True, desc="classifying", file=sys.stderr, leave=False)


#: Inputs smaller than this are classified in this process whatever --jobs says: starting a
#: worker (a new interpreter that loads the model) costs about as much as classifying some
#: 20,000 messages, so below that workers only make the run slower.
WORKERS_FROM_BYTES = 8_000_000


class _Classifier:
    """Classifies chunks in order: in this process (jobs=1, a model given, or an input too small to
    pay for starting workers) or in a bounded window of worker processes."""

    def __init__(
        self,
        model_path: Path | None,
        options: BatchOptions,
        model: IntentModel | None = None,
        total_bytes: int | None = None,
    ):
        self.model_path, self.options = model_path, options
        self.pool: ProcessPoolExecutor | None = None
        self.model: IntentModel | None = None
        self._given = model
        self._small = total_bytes is not None and total_bytes < WORKERS_FROM_BYTES

    @property
    def threshold(self) -> float:
        """The threshold the messages were flagged with, for combining them into conversations."""
        if self.model is not None:
            return self.model.threshold
        assert self.pool is not None, "the classifier is not running"
        return self.pool.submit(_worker_threshold).result()

    def __enter__(self) -> _Classifier:
        if self._given is not None:
            self.model = self._given.with_threshold(self.options.threshold)
        elif self.options.jobs > 1 and not self._small:
            self.pool = ProcessPoolExecutor(
                max_workers=self.options.jobs,
                mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded parent
                initializer=_init_worker,
                initargs=(str(self.model_path), self.options.threshold, self.options.languages),
            )
        else:
            from intent.api import load_model

            # with_threshold copies: the cached model stays as loaded
            assert self.model_path is not None
            self.model = load_model(self.model_path).with_threshold(self.options.threshold)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _local(self, texts: list[str]) -> list[Result]:
        assert self.model is not None
        return classify_texts(self.model, texts, self.options.languages)

    def map(self, chunks: Iterator[list[Row]], layout: Layout) -> Iterator[tuple[list[Row], list[Result]]]:
        """Yield (rows, results) per chunk, in input order."""
        if self.pool is None:
            for rows in chunks:
                yield rows, self._classify(rows, layout, self._local)
            return
        window: deque[tuple[list[Row], Future[list[Result]]]] = deque()
        limit = 2 * self.options.jobs  # bounded: never more than this many chunks in memory
        for rows in chunks:
            window.append((rows, self.pool.submit(_classify_in_worker, self._texts(rows, layout))))
            if len(window) >= limit:
                yield self._collect(window.popleft(), layout)
        while window:
            yield self._collect(window.popleft(), layout)

    @staticmethod
    def _texts(rows: list[Row], layout: Layout) -> list[str]:
        return [layout.text_of(r.values) for r in rows]

    def _classify(self, rows: list[Row], layout: Layout, run: Any) -> list[Result]:
        return self._mark(run(self._texts(rows, layout)), rows, layout)

    def _collect(self, item: Any, layout: Layout) -> tuple[list[Row], list[Result]]:
        rows, future = item
        return rows, self._mark(future.result(), rows, layout)

    @staticmethod
    def _mark(results: list[Result], rows: list[Row], layout: Layout) -> list[Result]:
        """A text with nothing to classify (the model's ``empty``: `has_content`) gets the layout's
        empty status (``no_message`` for an invitation); a text cut while reading is ``truncated``."""
        for i, (row, result) in enumerate(zip(rows, results, strict=True)):
            status = result[4]
            if status == "empty":
                results[i] = (None, None, True, None, layout.empty_status, "")
            elif status == "ok" and row.cut and any(c in row.cut for c in layout.text_columns):
                results[i] = (*result[:4], "truncated", result[5])
        return results

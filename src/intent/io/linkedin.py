"""Input layouts: LinkedIn's export files (recognised by their headers) and any other CSV.

A layout says which columns hold the message text and what an empty text means: an
invitation sent without a note is ``no_message``, anything else empty is ``empty``.
"""

from __future__ import annotations

import glob
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, TypeVar, cast

from intent.errors import ColumnError, DataError

T = TypeVar("T")

MESSAGES_FILE: Final = "messages.csv"
INVITATIONS_FILE: Final = "invitations.csv"
MESSAGES_COLUMNS: Final = frozenset(
    {
        "conversation id",
        "conversation title",
        "from",
        "sender profile url",
        "to",
        "recipient profile urls",
        "date",
        "subject",
        "content",
        "folder",
        "attachments",
        "is message draft",
    }
)
INVITATIONS_COLUMNS: Final = frozenset({"from", "to", "sent at", "message", "direction"})
#: Column names that hold the text in other CSVs, in Spanish and English.
TEXT_COLUMN_NAMES: Final = ("text", "message", "mensaje", "content", "contenido", "body", "cuerpo", "texto")


@dataclass(frozen=True)
class Layout:
    kind: str  # linkedin_messages | linkedin_invitations | csv
    text_columns: tuple[str, ...]  # joined with a blank line (SUBJECT + CONTENT)
    empty_status: str = "empty"

    def text_of(self, values: dict[str, str]) -> str:
        parts = [values.get(c, "").strip() for c in self.text_columns]
        return "\n\n".join(p for p in parts if p)


def detect_layout(columns: list[str], name: str, text_column: str | None = None) -> Layout:
    """Recognise LinkedIn's files by their headers (any case, any order), else find the text column."""
    by_lower = {c.strip().lower(): c for c in columns}
    lower = set(by_lower)
    if text_column is not None:
        if text_column.lower() not in by_lower:
            raise ColumnError(
                f"{name} has no column {text_column!r}. Its columns are: {', '.join(columns)}. "
                "Fix: pass one of them to --text-column.",
                columns,
            )
        return Layout("csv", (by_lower[text_column.lower()],))
    if "content" in lower and len(lower & MESSAGES_COLUMNS) >= 3:
        text = tuple(by_lower[c] for c in ("subject", "content") if c in by_lower)
        return Layout("linkedin_messages", text)
    if "message" in lower and len(lower & INVITATIONS_COLUMNS) >= 3:
        return Layout("linkedin_invitations", (by_lower["message"],), empty_status="no_message")
    found = [by_lower[c] for c in TEXT_COLUMN_NAMES if c in by_lower]
    if len(found) == 1:
        return Layout("csv", (found[0],))
    why = "several columns could hold the text" if found else "no column looks like message text"
    raise ColumnError(
        f"{name}: {why}. Its columns are: {', '.join(columns)}. Fix: name the text column with --text-column NAME.",
        columns,
    )


@dataclass(frozen=True)
class Source:
    """One file to read: a display name, a way to open its bytes, and its size for progress."""

    name: str
    open: Callable[[], BinaryIO]
    size: int
    path: Path | None = None  # the file on disk, when there is one (to refuse overwriting it)
    kind: str = "csv"  # csv | parquet


#: Files that only LinkedIn's export folder holds; a folder with any of them is an export.
EXPORT_FILES: Final = frozenset(
    {
        MESSAGES_FILE,
        INVITATIONS_FILE,
        "connections.csv",
        "profile.csv",
        "positions.csv",
        "registration.csv",
        "email addresses.csv",
        "skills.csv",
        "education.csv",
    }
)
PARQUET_SUFFIXES: Final = (".parquet", ".pq")
DATA_SUFFIXES: Final = (".csv", ".tsv", ".txt", *PARQUET_SUFFIXES)


def _is_parquet(path: Path) -> bool:
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return True
    with path.open("rb") as fh:
        return fh.read(4) == b"PAR1"


def _file_source(path: Path, name: str | None = None) -> Source:
    kind = "parquet" if _is_parquet(path) else "csv"
    return Source(name or path.name, lambda: path.open("rb"), path.stat().st_size, path, kind)


def _zip_sources(path: Path) -> list[Source]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise DataError(f"{path} is not a readable zip archive ({exc}).") from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
    wanted = _pick_export_files({m.filename: m for m in members}, path)

    def opener(member: str) -> Callable[[], BinaryIO]:
        def open_member() -> BinaryIO:
            zf = zipfile.ZipFile(path)
            return cast(BinaryIO, zf.open(member))  # the member keeps the archive open until closed

        return open_member

    return [Source(Path(m.filename).name, opener(m.filename), m.file_size, None) for m in wanted]


def _pick_export_files(entries: dict[str, T], where: Path) -> list[T]:
    chosen = []
    for target in (MESSAGES_FILE, INVITATIONS_FILE):
        hits = sorted(n for n in entries if Path(n).name.lower() == target)
        if hits:
            chosen.append(entries[min(hits, key=lambda n: n.count("/"))])  # the shallowest copy
    if not chosen:
        names = sorted(Path(n).name for n in entries)[:20]
        raise DataError(
            f"{where} holds neither messages.csv nor Invitations.csv (found: {', '.join(names) or 'nothing'}). "
            "Fix: point at LinkedIn's export archive or folder, or at a CSV file."
        )
    return chosen


def resolve_sources(input_: str) -> list[Source]:
    """The CSVs behind an INPUT argument: a CSV file, ``-`` (stdin), an export .zip or folder."""
    if input_ == "-":
        # stdin can be read only once; a temporary file lets us sniff it and then stream it.
        spool = tempfile.NamedTemporaryFile(prefix="intent-stdin-", suffix=".csv")  # noqa: SIM115
        while block := sys.stdin.buffer.read(1 << 20):
            spool.write(block)
        spool.flush()
        size = spool.tell()

        def open_stdin() -> BinaryIO:
            return open(spool.name, "rb")  # the closure keeps `spool` (and the file) alive

        return [Source("stdin", open_stdin, size)]
    path = Path(input_).expanduser()
    if not path.exists():
        matches = sorted(Path(m) for m in glob.glob(str(path))) if any(ch in input_ for ch in "*?[") else []
        files = [m for m in matches if m.is_file()]
        if files:
            return [_file_source(m, str(m)) for m in files]
        raise DataError(
            f"No such file or folder: {path}"
            + (" (the pattern matched no file)" if matches == [] and any(ch in input_ for ch in "*?[") else "")
        )
    if path.is_dir():
        entries = {str(p.relative_to(path)): p for p in path.rglob("*") if p.is_file()}
        names = {Path(n).name.lower() for n in entries}
        if names & EXPORT_FILES:  # LinkedIn's export: only its messages and invitations are messages
            return [_file_source(p) for p in _pick_export_files(entries, path)]
        data = [p for rel, p in sorted(entries.items()) if p.suffix.lower() in DATA_SUFFIXES]
        if data:  # a folder of CSV or Parquet files (e.g. partitions): read them all, in name order
            return [_file_source(p, str(p.relative_to(path))) for p in data]
        return [_file_source(p) for p in _pick_export_files(entries, path)]  # raises, listing what is there
    if zipfile.is_zipfile(path):
        return _zip_sources(path)
    return [_file_source(path)]


def resolve_inputs(inputs: list[str]) -> list[Source]:
    """All the files behind several INPUT arguments (files, folders, globs, exports, '-')."""
    sources = [s for input_ in inputs for s in resolve_sources(input_)]
    if sum(i == "-" for i in inputs) > 1:
        raise DataError("'-' (stdin) can be given only once.")
    return sources

"""Input layouts: LinkedIn's export files (recognised by their headers) and any other CSV.

A layout says which columns hold the message text and what an empty text means: an
invitation sent without a note is ``no_message``, anything else empty is ``empty``.
"""

from __future__ import annotations

import glob
import io
import os
import stat
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, Final, TypeVar, cast

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
    from intent.io.csv_io import shown_columns

    if text_column is not None:
        if text_column.lower() not in by_lower:
            raise ColumnError(
                f"{name} has no column {text_column[:60]!r}. Its columns are: {shown_columns(columns)}. "
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
        f"{name}: {why}. Its columns are: {shown_columns(columns)}. Fix: name the text column with --text-column NAME.",
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
    archive: Path | None = None  # the .zip on disk this file is a member of (never to be overwritten either)

    @property
    def on_disk(self) -> Path | None:
        """The file on disk that holds this source's bytes: the file itself, or its archive."""
        return self.path or self.archive


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
#: How a zip archive starts (a member, or an empty archive): a damaged one still starts so.
ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06")
_DAMAGED = "Fix: download or copy it again (LinkedIn's export can be requested again from Settings)."


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(4)


def _file_source(path: Path, name: str | None = None, head: bytes | None = None) -> Source:
    head = _head(path) if head is None else head
    kind = "parquet" if path.suffix.lower() in PARQUET_SUFFIXES or head == b"PAR1" else "csv"
    return Source(name or path.name, lambda: path.open("rb"), path.stat().st_size, path, kind)


class _ZipMember(io.RawIOBase):
    """A member of a zip being read: a damaged archive becomes a `DataError` naming it, not a traceback."""

    def __init__(self, member: IO[bytes], where: str) -> None:
        self._member, self._where = member, where

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._member.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise DataError(f"{self._where} is damaged ({exc}). {_DAMAGED}", "damaged_zip") from exc
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._member.close()
        super().close()


def _zip_sources(path: Path, shown: str, keep: object = None) -> list[Source]:
    """The export files inside a zip; ``keep`` is held while they can be opened (a spooled pipe)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
        raise DataError(
            f"{shown} is not a readable zip archive: it is damaged or incomplete ({exc}). {_DAMAGED}", "damaged_zip"
        ) from exc
    wanted = _pick_export_files({m.filename: m for m in members}, shown)
    for m in wanted:
        if m.flag_bits & 0x1:
            raise DataError(
                f"{shown} is password-protected (encrypted): intent cannot read it. Fix: unzip it with its "
                "password and give intent the folder, or its messages.csv.",
                "encrypted_zip",
            )

    def opener(member: zipfile.ZipInfo) -> Callable[[], BinaryIO]:
        where = f"{Path(member.filename).name} in {shown}"

        def open_member() -> BinaryIO:
            _ = keep  # the spooled copy of a pipe lives as long as this opener
            zf = zipfile.ZipFile(path)
            try:
                fh = zf.open(member)  # the member keeps the archive open until closed
            except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, ValueError) as exc:
                zf.close()
                raise DataError(f"{where} cannot be read ({exc}). {_DAMAGED}", "damaged_zip") from exc
            return cast(BinaryIO, io.BufferedReader(_ZipMember(fh, where), 1 << 16))

        return open_member

    return [Source(Path(m.filename).name, opener(m), m.file_size, None, archive=path) for m in wanted]


def _pick_export_files(entries: dict[str, T], where: Path | str) -> list[T]:
    chosen = []
    for target in (MESSAGES_FILE, INVITATIONS_FILE):
        hits = sorted(n for n in entries if Path(n).name.lower() == target)
        if hits:
            chosen.append(entries[min(hits, key=lambda n: n.count("/"))])  # the shallowest copy
    if not chosen:
        names = sorted(Path(n).name for n in entries)[:20]
        found = f"found: {', '.join(names)}" if names else "it is empty"
        raise DataError(
            f"{where} holds neither messages.csv nor Invitations.csv ({found}). "
            "Fix: point at LinkedIn's export archive or folder, or at a CSV file.",
            "no_export_files",
        )
    return chosen


def _spool(stream: IO[bytes], name: str) -> list[Source]:
    """Copy a stream that can be read only once (stdin, a pipe) to a temporary file, then read that."""
    spool = tempfile.NamedTemporaryFile(prefix="intent-input-", suffix=".spool")  # noqa: SIM115
    while block := stream.read(1 << 20):
        spool.write(block)
    spool.flush()
    path = Path(spool.name)
    head = _head(path)
    if head in ZIP_MAGIC:
        return _zip_sources(path, name, keep=spool)

    def open_spool() -> BinaryIO:
        _ = spool  # the closure keeps the temporary file alive (it is deleted when closed)
        return path.open("rb")

    kind = "parquet" if head == b"PAR1" else "csv"
    return [Source(name, open_spool, path.stat().st_size, None, kind)]


def _denied(path: Path, what: str) -> DataError:
    return DataError(
        f"{path}: permission denied, intent cannot {what}. Fix: check its permissions (e.g. ls -l), or copy "
        "the files somewhere you can read them."
    )


def resolve_sources(input_: str) -> list[Source]:
    """The CSVs behind an INPUT argument: a CSV file, ``-`` (stdin), an export .zip or folder.

    Stdin, a named pipe or a process substitution (``<(…)``) can be read only once: they are
    copied to a temporary file first, so detecting the encoding and reading do not compete.
    """
    if input_ == "-":
        return _spool(sys.stdin.buffer, "stdin")
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
        try:
            os.listdir(path)
        except PermissionError:
            raise _denied(path, "list this folder") from None
        entries = {str(p.relative_to(path)): p for p in path.rglob("*") if p.is_file()}
        names = {Path(n).name.lower() for n in entries}
        if names & EXPORT_FILES:  # LinkedIn's export: only its messages and invitations are messages
            return [_file_source(p) for p in _pick_export_files(entries, path)]
        data = [p for rel, p in sorted(entries.items()) if p.suffix.lower() in DATA_SUFFIXES]
        if data:  # a folder of CSV or Parquet files (e.g. partitions): read them all, in name order
            return [_file_source(p, str(p.relative_to(path))) for p in data]
        return [_file_source(p) for p in _pick_export_files(entries, path)]  # raises, listing what is there
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a named pipe, /dev/stdin, <(…): readable once
            with path.open("rb") as fh:
                return _spool(fh, path.name)
        head = _head(path)
    except PermissionError:
        raise _denied(path, "read this file") from None
    if head in ZIP_MAGIC or path.suffix.lower() == ".zip":
        return _zip_sources(path, str(path))
    return [_file_source(path, head=head)]


def resolve_inputs(inputs: list[str]) -> list[Source]:
    """All the files behind several INPUT arguments (files, folders, globs, exports, '-')."""
    sources = [s for input_ in inputs for s in resolve_sources(input_)]
    if sum(i == "-" for i in inputs) > 1:
        raise DataError("'-' (stdin) can be given only once.")
    return sources

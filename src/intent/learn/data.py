"""Labeled data as Hugging Face `datasets`: the corpus, a user's CSV, or a saved or Hub dataset.

Files are read by the same reader as `intent classify` (`intent.io`: encodings, delimiters,
LinkedIn's layouts, the text column found by the same names), and the label column is found by
the names in `LABEL_COLUMN_NAMES`. The rows become a `datasets.Dataset` built in memory, so no
Arrow copy of a user's messages is cached on disk. Every source comes out the same: a ``text``
column of strings, a ``label`` column that is a `ClassLabel` with the names in `LABELS`, and the
other columns (id, region, form, register, phenomenon, split, source…) as strings, for slice
metrics and the challenge set's splits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from intent.config import LABEL_ALIASES, LABEL_COLUMN_NAMES, LABELS
from intent.errors import ColumnError, DataError
from intent.io.csv_io import spreadsheet_unescape

if TYPE_CHECKING:
    from datasets import Dataset

#: Files `save_to_disk` writes at the top of its folder (a Dataset, or a DatasetDict).
_SAVED_MARKERS = ("dataset_dict.json", "state.json")


def canonical_label(value: str) -> str | None:
    """The label a user wrote, as one of `LABELS` (aliases accepted), or None if unknown."""
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    return key if key in LABELS else LABEL_ALIASES.get(key)


def find_label_column(columns: list[str], name: str, label_column: str | None = None) -> str:
    """The column holding the labels: ``label_column`` if given, else the first of `LABEL_COLUMN_NAMES`."""
    by_lower = {c.strip().lower(): c for c in columns}
    if label_column is not None:
        if label_column.strip().lower() not in by_lower:
            raise ColumnError(
                f"{name} has no column {label_column!r}. Its columns are: {', '.join(columns)}. "
                "Fix: pass one of them to --label-column.",
                columns,
            )
        return by_lower[label_column.strip().lower()]
    for candidate in LABEL_COLUMN_NAMES:
        if candidate in by_lower:
            return by_lower[candidate]
    raise ColumnError(
        f"{name}: no column looks like the labels (looked for {', '.join(LABEL_COLUMN_NAMES[:8])}…). "
        f"Its columns are: {', '.join(columns)}. Fix: name the label column with --label-column NAME.",
        columns,
    )


@dataclass(frozen=True)
class _Record:
    where: str  # "file, line N", for errors
    text: str
    label: str
    extra: dict[str, str]


def is_dataset_dict(path: str | Path) -> bool:
    """True for a folder where `save_to_disk` saved a `DatasetDict` (named splits)."""
    return (Path(path) / "dataset_dict.json").is_file()


def load_labeled(
    source: str | Path,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    split: str = "train",
    on_bad_lines: str = "error",
    notes: list[str] | None = None,
) -> Dataset:
    """Labeled messages from a CSV (or Parquet, a folder of them, an export, ``-``) or a ``save_to_disk`` folder.

    ``text_column`` and ``label_column`` default to detection by name; ``split`` picks a split of a
    saved `DatasetDict`; ``on_bad_lines`` is `intent classify`'s (``error`` or ``skip``), and the
    rows skipped are told in ``notes``, for the caller to show.
    """
    path = Path(source)
    if path.is_dir() and any((path / marker).is_file() for marker in _SAVED_MARKERS):
        import datasets

        _quiet_datasets()
        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise DataError(f"{path} has splits {list(loaded)}, not {split!r}. Fix: pass --split NAME.")
            loaded = loaded[split]
        return from_dataset(loaded, str(path), text_column, label_column)
    return _build(str(source), _read_files(str(source), text_column, label_column, on_bad_lines, notes))


def _read_files(
    source: str, text_column: str | None, label_column: str | None, on_bad_lines: str, notes: list[str] | None
) -> Iterator[_Record]:
    """Every labeled row behind SOURCE, read as `intent classify` reads its input."""
    from intent.io.batch import BatchOptions, _open
    from intent.io.linkedin import resolve_sources

    options = BatchOptions(text_column=text_column, on_bad_lines=on_bad_lines)
    sources = resolve_sources(source)
    for src in sources:
        prefix = f"{src.name}, " if len(sources) > 1 else ""
        opened = _open(src, options)
        try:
            columns = list(opened.reader.columns)
            label = find_label_column(columns, src.name, label_column)
            used = {*opened.layout.text_columns, label}
            extra = [c for c in columns if c not in used]
            text_columns = opened.layout.text_columns
            for row in opened.reader:
                # A cell this tool escaped for a spreadsheet (`intent review`) comes back as written: undo the "'".
                cells = {c: spreadsheet_unescape(row.values.get(c, "")) for c in text_columns}
                yield _Record(
                    f"{prefix}line {row.line}",
                    opened.layout.text_of(cells),
                    row.values.get(label, ""),
                    {c: row.values.get(c, "") for c in extra},
                )
            if opened.reader.skipped and notes is not None:
                lines = opened.reader.skipped_lines
                shown = ", ".join(map(str, lines[:10])) + (" …" if len(lines) > 10 else "")
                notes.append(f"skipped {opened.reader.skipped} malformed row(s) in {src.name}: line(s) {shown}")
        finally:
            opened.close()


def from_dataset(ds: Dataset, name: str, text_column: str | None = None, label_column: str | None = None) -> Dataset:
    """A dataset from `datasets` (saved, or from the Hub) in the standard form, its columns found by name."""
    from datasets import ClassLabel

    from intent.io.linkedin import detect_layout

    columns = list(ds.column_names)
    layout = detect_layout(columns, name, text_column)
    label = find_label_column(columns, name, label_column)
    feature = ds.features[label]
    values = {c: ds[c] for c in columns}
    if isinstance(feature, ClassLabel):
        values[label] = [feature.names[i] if i is not None and i >= 0 else "" for i in values[label]]
    extra = [c for c in columns if c not in {*layout.text_columns, label}]

    def text(v: Any) -> str:
        return "" if v is None else str(v)

    records = (
        _Record(
            f"row {i + 1}",
            layout.text_of({c: text(values[c][i]) for c in layout.text_columns}),
            text(values[label][i]),
            {c: text(values[c][i]) for c in extra},
        )
        for i in range(len(ds))
    )
    return _build(name, records)


def _build(name: str, records: Iterable[_Record]) -> Dataset:
    """Check the rows and make them a `datasets.Dataset` in memory (no cache file on disk)."""
    from datasets import ClassLabel, Dataset, Features, Value

    _quiet_datasets()
    texts: list[str] = []
    labels: list[str] = []
    extra: dict[str, list[str]] = {}
    bad_labels: list[str] = []
    empty: list[str] = []
    for n, record in enumerate(records):
        label = canonical_label(record.label)
        if label is None:
            bad_labels.append(f"{record.where}: {record.label!r}")
        if not record.text.strip():
            empty.append(record.where)
        texts.append(record.text)
        labels.append(label or LABELS[0])
        for column, value in record.extra.items():
            if column.strip().lower() in ("text", "label"):
                continue  # our own two columns; the values used are the ones found above
            extra.setdefault(column, [""] * n).append(value)
        for values in extra.values():  # a column another file of the same source did not have
            if len(values) < n + 1:
                values.append("")
    if bad_labels:
        shown = "; ".join(bad_labels[:10])
        raise DataError(
            f"{name}: {len(bad_labels)} unknown label(s) ({shown}). Valid labels: "
            f"{', '.join(LABELS)} (aliases: {', '.join(sorted(LABEL_ALIASES))})."
        )
    if empty:
        raise DataError(
            f"{name}: {len(empty)} empty message(s) ({'; '.join(empty[:10])}). "
            "Fix: remove those rows or fill in their text."
        )
    if not texts:
        raise DataError(f"{name} holds no labeled rows. Fix: check you picked the right file.")
    features = Features(
        {"text": Value("string"), "label": ClassLabel(names=list(LABELS)), **{c: Value("string") for c in extra}}
    )
    return Dataset.from_dict({"text": texts, "label": labels, **extra}, features=features)


def _quiet_datasets() -> None:
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()


@dataclass(frozen=True)
class HFSource:
    """A dataset on the Hugging Face Hub (needs network) or a local ``save_to_disk`` folder."""

    name: str
    split: str = "train"

    def __str__(self) -> str:
        return f"hf:{self.name}[{self.split}]"


Source = Path | HFSource


def load_source(
    source: Source,
    text_column: str | None = None,
    label_column: str | None = None,
    on_bad_lines: str = "error",
    notes: list[str] | None = None,
) -> Dataset:
    """Load labeled data from a CSV, a saved dataset folder, or a Hub dataset."""
    if isinstance(source, HFSource):
        path = Path(source.name).expanduser()
        if path.exists():
            return load_labeled(
                path,
                text_column=text_column,
                label_column=label_column,
                split=source.split,
                on_bad_lines=on_bad_lines,
                notes=notes,
            )
        import datasets

        _quiet_datasets()
        try:
            ds = datasets.load_dataset(source.name, split=source.split)
        except Exception as exc:  # the Hub client raises many kinds; all mean "cannot get it"
            raise DataError(
                f"Could not load the dataset {source.name!r} (split {source.split!r}): {exc}. "
                "Fix: check the name and your network, or pass a folder saved with save_to_disk."
            ) from exc
        return from_dataset(ds, source.name, text_column, label_column)
    return load_labeled(
        source, text_column=text_column, label_column=label_column, on_bad_lines=on_bad_lines, notes=notes
    )


def texts_and_labels(ds: Dataset) -> tuple[list[str], list[str]]:
    """Plain lists for scikit-learn: messages and label names."""
    names = ds.features["label"].names
    return list(ds["text"]), [names[i] for i in ds["label"]]


def select_split(ds: Dataset, split: str, path: Path | str = "") -> Dataset:
    """The rows of ``ds`` whose ``split`` column is ``split`` (the challenge set's dev or test)."""
    if "split" not in ds.column_names:
        raise DataError(f"{path or 'the data'} has no 'split' column, so it has no {split!r} rows.")
    rows = [i for i, value in enumerate(ds["split"]) if value == split]
    if not rows:
        raise DataError(f"{path or 'the data'} has no rows with split={split!r}.")
    return ds.select(rows)


def column_or_blank(ds: Dataset, name: str) -> list[str]:
    """A column's values as strings, or blanks when the data has no such column."""
    return [str(v) for v in ds[name]] if name in ds.column_names else [""] * len(ds)

"""Labeled data through Hugging Face `datasets`: the corpus, a user's CSV, or a saved dataset.

Every source comes out the same: a `datasets.Dataset` whose ``text`` column holds strings and
whose ``label`` column is a `ClassLabel` with the names in `LABELS` (extra columns such as
region or form are kept for slice metrics).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from intent.config import LABEL_ALIASES, LABELS
from intent.errors import DataError
from intent.io.csv_io import sniff_csv

if TYPE_CHECKING:
    from datasets import Dataset


def canonical_label(value: str) -> str | None:
    """The label a user wrote, as one of `LABELS` (aliases accepted), or None if unknown."""
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    return key if key in LABELS else LABEL_ALIASES.get(key)


def load_labeled(
    source: str | Path,
    *,
    text_column: str = "text",
    label_column: str = "label",
    split: str = "train",
) -> Dataset:
    """Load labeled messages from a CSV file or a directory saved with ``save_to_disk``."""
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    path = Path(source)
    if path.is_dir():
        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise DataError(f"{path} has splits {list(loaded)}, not {split!r}. Fix: pass --split NAME.")
            loaded = loaded[split]
        ds = loaded
    elif path.is_file():
        encoding, delimiter = sniff_csv(path)
        try:
            ds = datasets.load_dataset(
                "csv",
                data_files=str(path),
                split="train",
                encoding=encoding,
                sep=delimiter,
                keep_default_na=False,  # a message "NA" or "null" is text, not a missing value
                na_filter=False,
            )
        except Exception as exc:  # pandas and pyarrow raise many kinds; all mean a bad file
            raise DataError(f"Could not read {path} as CSV: {exc}") from exc
    else:
        raise DataError(f"No such file or directory: {path}")
    return _standardize(ds, path, text_column, label_column)


def _standardize(ds: Dataset, path: Path, text_column: str, label_column: str) -> Dataset:
    from datasets import ClassLabel, Value

    columns = {c.lower(): c for c in ds.column_names}
    for wanted, flag in ((text_column, "--text-column"), (label_column, "--label-column")):
        if wanted.lower() not in columns:
            raise DataError(
                f"{path} has no column {wanted!r} (columns: {', '.join(ds.column_names)}). "
                f"Fix: rename the column or pass {flag} NAME."
            )
    text_col, label_col = columns[text_column.lower()], columns[label_column.lower()]
    if text_col != "text":
        ds = ds.rename_column(text_col, "text")
    if label_col != "label":
        ds = ds.rename_column(label_col, "label")
    if ds.features["text"] != Value("string"):  # pandas may have read a numeric-only column
        ds = ds.cast_column("text", Value("string"))
    feature = ds.features["label"]
    if isinstance(feature, ClassLabel):
        labels = [feature.names[i] for i in ds["label"]]
    else:
        labels = [str(v) if v is not None else "" for v in ds["label"]]
    texts = ds["text"]
    bad_labels = [(i + 1, v) for i, v in enumerate(labels) if canonical_label(v) is None]
    if bad_labels:
        shown = "; ".join(f"row {r}: {v!r}" for r, v in bad_labels[:10])
        raise DataError(
            f"{path}: {len(bad_labels)} unknown label(s) ({shown}). Valid labels: "
            f"{', '.join(LABELS)} (aliases: {', '.join(sorted(LABEL_ALIASES))})."
        )
    empty = [i + 1 for i, t in enumerate(texts) if t is None or not str(t).strip()]
    if empty:
        raise DataError(
            f"{path}: {len(empty)} empty message(s) at row(s) {empty[:10]}. "
            "Fix: remove those rows or fill in their text."
        )
    canonical = [canonical_label(v) for v in labels]
    ds = ds.remove_columns("label").add_column("label", canonical)
    return ds.cast_column("label", ClassLabel(names=list(LABELS)))


@dataclass(frozen=True)
class HFSource:
    """A dataset on the Hugging Face Hub (needs network) or a local ``save_to_disk`` folder."""

    name: str
    split: str = "train"

    def __str__(self) -> str:
        return f"hf:{self.name}[{self.split}]"


Source = Path | HFSource


def load_source(source: Source, text_column: str = "text", label_column: str = "label") -> Dataset:
    """Load labeled data from a CSV, a saved dataset folder, or a Hub dataset."""
    if isinstance(source, HFSource):
        path = Path(source.name).expanduser()
        if path.exists():
            return load_labeled(path, text_column=text_column, label_column=label_column, split=source.split)
        import datasets

        try:
            ds = datasets.load_dataset(source.name, split=source.split)
        except Exception as exc:  # the Hub client raises many kinds; all mean "cannot get it"
            raise DataError(
                f"Could not load the dataset {source.name!r} (split {source.split!r}): {exc}. "
                "Fix: check the name and your network, or pass a folder saved with save_to_disk."
            ) from exc
        return _standardize(ds, Path(source.name), text_column, label_column)
    return load_labeled(source, text_column=text_column, label_column=label_column)


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

from __future__ import annotations

from pathlib import Path

import pytest

from intent.config import LABELS
from intent.errors import DataError
from intent.io.csv_io import sniff_csv
from intent.learn.data import canonical_label, load_labeled, texts_and_labels

FIXTURE = Path(__file__).parent / "fixtures" / "mini_corpus.csv"


def test_loads_corpus_with_classlabel() -> None:
    ds = load_labeled(FIXTURE)
    assert ds.features["label"].names == list(LABELS)
    texts, labels = texts_and_labels(ds)
    assert len(texts) == 36 and set(labels) == set(LABELS)
    assert "id" in ds.column_names  # extra columns are kept


def test_semicolon_cp1252_and_aliases(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "mensaje;etiqueta\nNo me interesa, gracias;rechazo\nCurso de inglés por 99€;Venta\n"
        "Encantada de conectar;networking\nNA;spam\n".encode("cp1252")
    )
    assert sniff_csv(path) == ("cp1252", ";")
    texts, labels = texts_and_labels(load_labeled(path, text_column="mensaje", label_column="etiqueta"))
    assert labels == ["gatekeeping_rejection", "spam_sales", "genuine_networking", "spam_sales"]
    assert texts[3] == "NA"  # not read as a missing value


def test_unknown_label_names_row_and_valid_labels(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nhola,networking\nadios,quizas\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 2: 'quizas'.*spam_sales"):
        load_labeled(path)


def test_missing_column_lists_columns(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("body,label\nhola,spam\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"columns: body, label.*--text-column"):
        load_labeled(path)


def test_empty_text_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('text,label\nhola,spam\n"  ",spam\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"row\(s\) \[2\]"):
        load_labeled(path)


def test_saved_dataset_directory(tmp_path: Path) -> None:
    ds = load_labeled(FIXTURE)
    ds.save_to_disk(str(tmp_path / "saved"))
    again = load_labeled(tmp_path / "saved")
    assert texts_and_labels(again) == texts_and_labels(ds)


def test_canonical_label() -> None:
    assert canonical_label(" Spam ") == "spam_sales"
    assert canonical_label("genuine-networking") == "genuine_networking"
    assert canonical_label("maybe") is None


def test_hf_source_reads_a_saved_dataset_folder_with_its_split(tmp_path: Path) -> None:
    from datasets import DatasetDict

    from intent.learn.data import HFSource, load_source

    ds = load_labeled(FIXTURE)
    DatasetDict({"train": ds, "validation": ds.select(range(6))}).save_to_disk(str(tmp_path / "hub_like"))
    valid = load_source(HFSource(str(tmp_path / "hub_like"), split="validation"))
    assert len(valid) == 6 and valid.features["label"].names == list(LABELS)
    with pytest.raises(DataError, match="splits"):
        load_source(HFSource(str(tmp_path / "hub_like"), split="test"))

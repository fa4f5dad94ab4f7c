from __future__ import annotations

from pathlib import Path

import pytest

from intent.config import LABELS
from intent.errors import ColumnError, DataError
from intent.io.csv_io import sniff_csv
from intent.learn.data import canonical_label, find_label_column, load_labeled, texts_and_labels

FIXTURE = Path(__file__).parent / "fixtures" / "mini_corpus.csv"


def test_loads_corpus_with_classlabel() -> None:
    ds = load_labeled(FIXTURE)
    assert ds.features["label"].names == list(LABELS)
    texts, labels = texts_and_labels(ds)
    assert len(texts) == 36 and set(labels) == set(LABELS)
    assert "id" in ds.column_names  # extra columns are kept


def test_built_in_memory_so_nothing_is_cached_on_disk() -> None:
    ds = load_labeled(FIXTURE)
    assert ds.cache_files == []  # an in-memory Arrow table: no copy of the messages under ~/.cache
    assert ds.select([3, 1]).cache_files == []


def test_semicolon_cp1252_spanish_columns_and_aliases_found_by_name(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "mensaje;etiqueta\nNo me interesa, gracias;rechazo\nCurso de inglés por 99€;Venta\n"
        "Encantada de conectar;networking\nNA;spam\n".encode("cp1252")
    )
    assert sniff_csv(path) == ("cp1252", ";")
    texts, labels = texts_and_labels(load_labeled(path))  # no --text-column / --label-column needed
    assert labels == ["gatekeeping_rejection", "spam_sales", "genuine_networking", "spam_sales"]
    assert texts[1] == "Curso de inglés por 99€" and texts[3] == "NA"  # not read as a missing value


@pytest.mark.parametrize("name", ["label", "Etiqueta", "categoría", "clase", "intención", "INTENT"])
def test_label_column_names(name: str) -> None:
    assert find_label_column(["texto", name, "id"], "f.csv") == name


def test_a_persons_label_wins_over_the_models_intent_column() -> None:
    # a classified file (intent = the model's guess) to which a person added a label column
    assert find_label_column(["text", "intent", "confidence", "label"], "f.csv") == "label"


def test_explicit_columns(tmp_path: Path) -> None:
    path = tmp_path / "own.csv"
    path.write_text("cuerpo,texto,mi_etiqueta\nhola,otra cosa,networking\n", encoding="utf-8")
    ds = load_labeled(path, text_column="cuerpo", label_column="MI_ETIQUETA")
    assert texts_and_labels(ds) == (["hola"], ["genuine_networking"])
    assert ds["texto"] == ["otra cosa"]  # the other column is kept


def test_missing_columns_advise_the_flags(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("body,texto,label\nhola,x,spam\n", encoding="utf-8")
    with pytest.raises(ColumnError, match=r"several columns.*--text-column"):
        load_labeled(path)
    path.write_text("texto,nota\nhola,spam\n", encoding="utf-8")
    with pytest.raises(ColumnError, match=r"no column looks like the labels.*texto, nota.*--label-column"):
        load_labeled(path)
    with pytest.raises(ColumnError, match=r"no column 'etiqueta'.*--label-column"):
        load_labeled(path, label_column="etiqueta")


def test_unknown_label_names_line_and_valid_labels(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('text,label\nhola,networking\n"dos\nlíneas",quizas\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"line 3: 'quizas'.*spam_sales"):
        load_labeled(path)


def test_empty_text_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('text,label\nhola,spam\n"  ",spam\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"1 empty message\(s\) \(line 3\)"):
        load_labeled(path)


def test_malformed_row_stops_or_is_skipped_and_told(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nhola,spam\nuno,dos,tres\nadios,rechazo\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"line 3.*--on-bad-lines skip"):
        load_labeled(path)
    notes: list[str] = []
    ds = load_labeled(path, on_bad_lines="skip", notes=notes)
    assert texts_and_labels(ds) == (["hola", "adios"], ["spam_sales", "gatekeeping_rejection"])
    assert notes == ["skipped 1 malformed row(s) in bad.csv: line(s) 3"]


def test_linkedin_messages_with_a_label_column(tmp_path: Path) -> None:
    """The same reader as classify: LinkedIn's layout joins SUBJECT and CONTENT."""
    path = tmp_path / "messages.csv"
    path.write_text(
        "CONVERSATION ID,FROM,TO,DATE,SUBJECT,CONTENT,FOLDER,label\n"
        "1,Ana,Yo,2024-01-01,Demo,¿15 minutos?,INBOX,venta\n",
        encoding="utf-8",
    )
    ds = load_labeled(path)
    assert texts_and_labels(ds) == (["Demo\n\n¿15 minutos?"], ["spam_sales"])
    assert "SUBJECT" not in ds.column_names and ds["FROM"] == ["Ana"]


def test_a_folder_of_csvs_names_the_file_in_errors(tmp_path: Path) -> None:
    folder = tmp_path / "labeled"
    folder.mkdir()
    (folder / "a.csv").write_text("text,label,region\nhola,spam,es\n", encoding="utf-8")
    (folder / "b.csv").write_text("texto,etiqueta\nadios,rechazo\n", encoding="utf-8")
    ds = load_labeled(folder)
    assert texts_and_labels(ds) == (["hola", "adios"], ["spam_sales", "gatekeeping_rejection"])
    assert ds["region"] == ["es", ""]
    (folder / "b.csv").write_text("texto,etiqueta\nadios,nope\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"b.csv, line 2: 'nope'"):
        load_labeled(folder)


def test_saved_dataset_directory(tmp_path: Path) -> None:
    ds = load_labeled(FIXTURE)
    ds.save_to_disk(str(tmp_path / "saved"))
    again = load_labeled(tmp_path / "saved")
    assert texts_and_labels(again) == texts_and_labels(ds)


def test_hub_like_dataset_with_its_own_classlabel_and_spanish_columns(tmp_path: Path) -> None:
    from datasets import ClassLabel, Dataset, Features, Value

    names = ["rechazo", "venta", "networking"]
    ds = Dataset.from_dict(
        {"texto": ["no gracias", "demo", "hola"], "etiqueta": [0, 1, 2], "n": [1, 2, 3]},
        features=Features({"texto": Value("string"), "etiqueta": ClassLabel(names=names), "n": Value("int64")}),
    )
    ds.save_to_disk(str(tmp_path / "hub"))
    loaded = load_labeled(tmp_path / "hub")
    assert texts_and_labels(loaded) == (
        ["no gracias", "demo", "hola"],
        ["gatekeeping_rejection", "spam_sales", "genuine_networking"],
    )
    assert loaded["n"] == ["1", "2", "3"]


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


def test_escaped_formula_cells_are_read_back_raw(tmp_path: Path) -> None:
    """Issue 17, item 3: a cell "'" + (= + - @ tab CR) is what this tool wrote for a spreadsheet."""
    path = tmp_path / "labeled.csv"
    path.write_text(
        "text,label\n'=1+1 oferta,spam\n'+34 600,spam\n'@ana hola,networking\n\"'\tno\",rechazo\n"
        "'hola' dijo,networking\n",
        encoding="utf-8",
    )
    texts, _ = texts_and_labels(load_labeled(path))
    assert texts == ["=1+1 oferta", "+34 600", "@ana hola", "no", "'hola' dijo"]  # text is stripped, as ever


def test_a_utf8_file_with_one_cp1252_row_trains_right(tmp_path: Path) -> None:
    """Should fix (issue 17): the training reader repairs a pasted cp1252 row too, not the whole file."""
    path = tmp_path / "mixed.csv"
    path.write_bytes("text,label\nreunión mañana,networking\n".encode() + "adiós y qué tal,rechazo\n".encode("cp1252"))
    texts, _ = texts_and_labels(load_labeled(path))
    assert texts == ["reunión mañana", "adiós y qué tal"]

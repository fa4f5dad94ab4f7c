from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from intent.errors import DataError
from intent.io.linkedin import detect_layout, resolve_sources

MESSAGES = [
    "CONVERSATION ID",
    "CONVERSATION TITLE",
    "FROM",
    "SENDER PROFILE URL",
    "TO",
    "RECIPIENT PROFILE URLS",
    "DATE",
    "SUBJECT",
    "CONTENT",
    "FOLDER",
]


def test_messages_layout_any_case_and_order() -> None:
    layout = detect_layout([*reversed([c.lower() for c in MESSAGES]), "IS MESSAGE DRAFT"], "m.csv")
    assert layout.kind == "linkedin_messages"
    assert layout.text_of({"subject": "Oferta", "content": "Hola"}) == "Oferta\n\nHola"
    assert layout.text_of({"subject": "", "content": "Hola"}) == "Hola"


def test_messages_layout_tolerates_missing_optional_columns() -> None:
    layout = detect_layout(["FROM", "TO", "DATE", "CONTENT"], "m.csv")
    assert layout.kind == "linkedin_messages" and layout.text_columns == ("CONTENT",)


def test_invitations_layout_marks_missing_note() -> None:
    layout = detect_layout(["From", "To", "Sent At", "Message", "Direction"], "i.csv")
    assert layout.kind == "linkedin_invitations" and layout.empty_status == "no_message"


def test_generic_csv_text_column() -> None:
    assert detect_layout(["id", "Mensaje"], "x.csv").text_columns == ("Mensaje",)
    assert detect_layout(["id", "cuerpo", "x"], "x.csv", text_column="X").text_columns == ("x",)


def test_ambiguous_or_missing_text_column_lists_columns() -> None:
    with pytest.raises(DataError, match=r"several columns.*text, body.*--text-column"):
        detect_layout(["text", "body"], "x.csv")
    with pytest.raises(DataError, match=r"no column looks.*a, b.*--text-column"):
        detect_layout(["a", "b"], "x.csv")
    with pytest.raises(DataError, match="no column 'zz'"):
        detect_layout(["a"], "x.csv", text_column="zz")


def test_sources_from_zip_and_folder(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    (folder / "sub").mkdir(parents=True)
    (folder / "messages.csv").write_text("CONTENT,FROM,TO\nhola,a,b\n", encoding="utf-8")
    (folder / "sub" / "Invitations.csv").write_text("From,To,Message\na,b,hola\n", encoding="utf-8")
    (folder / "Connections.csv").write_text("x\n", encoding="utf-8")
    assert [s.name for s in resolve_sources(str(folder))] == ["messages.csv", "Invitations.csv"]
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(folder / "messages.csv", "Basic/messages.csv")
        zf.write(folder / "Connections.csv", "Basic/Connections.csv")
    sources = resolve_sources(str(archive))
    assert [s.name for s in sources] == ["messages.csv"]
    with sources[0].open() as fh:
        assert fh.read().startswith(b"CONTENT")


def test_export_without_known_files(tmp_path: Path) -> None:
    (tmp_path / "Connections.csv").write_text("x\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"neither messages\.csv nor Invitations\.csv"):
        resolve_sources(str(tmp_path))
    with pytest.raises(DataError, match="No such file"):
        resolve_sources(str(tmp_path / "missing.csv"))


def test_folder_of_partitions_glob_and_many_inputs(tmp_path: Path) -> None:
    from intent.io.linkedin import resolve_inputs

    (tmp_path / "parts").mkdir()
    for i in range(3):
        (tmp_path / "parts" / f"part-{i}.csv").write_text("text\nhola\n", encoding="utf-8")
    (tmp_path / "parts" / "README.md").write_text("not data", encoding="utf-8")
    assert [s.name for s in resolve_sources(str(tmp_path / "parts"))] == ["part-0.csv", "part-1.csv", "part-2.csv"]
    pattern = str(tmp_path / "parts" / "part-[01].csv")
    assert [Path(s.name).name for s in resolve_sources(pattern)] == ["part-0.csv", "part-1.csv"]
    many = resolve_inputs([str(tmp_path / "parts" / "part-2.csv"), pattern])
    assert [Path(s.name).name for s in many] == ["part-2.csv", "part-0.csv", "part-1.csv"]
    with pytest.raises(DataError, match="matched no file"):
        resolve_sources(str(tmp_path / "nothing-*.csv"))

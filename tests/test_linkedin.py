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


# ---- issue 17: damaged archives, pipes, permissions ----------------------------------------------

import os  # noqa: E402
import stat  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

from intent.cli import main  # noqa: E402

MESSAGES_CSV = "CONTENT,FROM,TO\nhola,a,b\nno gracias,c,d\n"
MANY_MESSAGES_CSV = "CONTENT,FROM,TO\n" + "hola,a,b\nno gracias,c,d\n" * 200


def export_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Basic/messages.csv", MANY_MESSAGES_CSV)
    return path


def encrypted_zip(path: Path) -> Path:
    """A zip whose member says it is encrypted (traditional PKWARE flag), as `zip -P secret` writes."""
    export_zip(path)
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local and central headers: flag bits
        at = data.find(signature)
        data[at + offset] |= 0x01
    path.write_bytes(bytes(data))
    return path


def bad_crc_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("messages.csv", MANY_MESSAGES_CSV)
    data = bytearray(path.read_bytes())
    at = data.find(b"no gracias", 200)
    data[at] = ord("N")  # stored bytes changed: the CRC no longer matches
    path.write_bytes(bytes(data))
    return path


def truncated_zip(path: Path) -> Path:
    export_zip(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (encrypted_zip, "password-protected"),
        (bad_crc_zip, "damaged"),
        (truncated_zip, "damaged or incomplete"),
    ],
    ids=["encrypted", "bad-crc", "truncated"],
)
def test_damaged_or_encrypted_zips_are_clear_errors(
    tmp_path: Path, mini_model_path: Path, capsys: pytest.CaptureFixture[str], make: object, says: str
) -> None:
    """Issue 17, item 5: each names what is wrong, in one line, exit 2; never "contains NUL bytes"."""
    archive = make(tmp_path / "export.zip")  # type: ignore[operator]
    assert main(["classify", str(archive), "-o", str(tmp_path / "out.csv"), "--model", str(mini_model_path)]) == 2
    err = capsys.readouterr().err
    assert says in err and "export.zip" in err and "NUL" not in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_named_pipe_is_read_once(tmp_path: Path, mini_model_path: Path) -> None:
    """Issue 17, item 10: a FIFO used to hang forever (it was opened once per look)."""
    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(MESSAGES_CSV, encoding="utf-8"), daemon=True)
    writer.start()
    out = tmp_path / "out.csv"
    assert main(["classify", str(fifo), "-o", str(out), "--model", str(mini_model_path), "--quiet"]) == 0
    writer.join(5)
    assert out.read_text(encoding="utf-8").count("\n") == 3


@pytest.mark.skipif(not Path("/dev/fd").exists(), reason="process substitution needs /dev/fd")
@pytest.mark.parametrize("kind", ["csv", "zip"])
def test_process_substitution_is_read_once(tmp_path: Path, mini_model_path: Path, kind: str) -> None:
    """Issue 17, item 10: `intent classify <(cat f.csv)` failed with "is empty": sniffing consumed the pipe."""
    src = tmp_path / "f.csv"
    src.write_text(MESSAGES_CSV, encoding="utf-8")
    if kind == "zip":
        src = export_zip(tmp_path / "f.zip")
    out = tmp_path / "out.csv"
    read, write = os.pipe()
    feeder = threading.Thread(target=lambda: (os.write(write, src.read_bytes()), os.close(write)), daemon=True)
    feeder.start()
    try:
        command = [sys.executable, "-m", "intent.cli", "classify", f"/dev/fd/{read}", "-o", str(out)]
        result = subprocess.run(
            [*command, "--model", str(mini_model_path), "--quiet"],
            pass_fds=[read],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        os.close(read)
    assert result.returncode == 0, result.stderr
    rows = out.read_text(encoding="utf-8").count("\n") - 1
    assert rows == (2 if kind == "csv" else 400)


def test_an_unreadable_folder_says_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Should fix: a folder that cannot be listed said "found: nothing"."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "messages.csv").write_text(MESSAGES_CSV, encoding="utf-8")
    if getattr(os, "geteuid", lambda: -1)() == 0:  # root lists any folder: make the system say no as it would to a user
        real = os.listdir

        def refuse(path: object = ".") -> list[str]:
            if Path(str(path)) == folder:
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "listdir", refuse)
    folder.chmod(0)
    try:
        with pytest.raises(DataError, match="permission denied") as caught:
            resolve_sources(str(folder))
        assert "found: nothing" not in str(caught.value)
    finally:
        folder.chmod(stat.S_IRWXU)


def test_an_empty_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="it is empty"):
        resolve_sources(str(tmp_path))


def test_a_huge_column_list_is_shortened_in_messages() -> None:
    columns = [f"columna_{i}_" + "x" * 200 for i in range(500)]
    with pytest.raises(DataError) as caught:
        detect_layout(columns, "wide.csv")
    assert len(str(caught.value)) < 3000 and "and 470 more" in str(caught.value)

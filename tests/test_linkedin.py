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


def unknown_compression_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("messages.csv", MESSAGES_CSV)
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # compression method: 99, unknown
        at = data.find(signature)
        data[at + offset] = 99
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
        assert str(caught.value).startswith(f"{folder}: permission denied, intent cannot list this folder. Fix:")
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


# ---- layouts and sources, rule by rule ------------------------------------------------------------

import io  # noqa: E402

from intent.io import linkedin  # noqa: E402
from intent.io.linkedin import Layout, resolve_inputs  # noqa: E402


@pytest.mark.parametrize(
    ("columns", "kind", "text_columns", "empty_status"),
    [
        (["From", "To", "Content"], "linkedin_messages", ("Content",), "empty"),  # three known names: enough
        (["From", "Content"], "csv", ("Content",), "empty"),  # two: any CSV with a "content" column
        ([" SUBJECT ", "FROM", "TO", "CONTENT"], "linkedin_messages", (" SUBJECT ", "CONTENT"), "empty"),
        (["From", "To", "Message"], "linkedin_invitations", ("Message",), "no_message"),
        (["From", "Message"], "csv", ("Message",), "empty"),
        (["FOLDER", "DATE", "SUBJECT", "Body"], "csv", ("Body",), "empty"),  # no CONTENT: not messages.csv
        (["id", "TEXTO"], "csv", ("TEXTO",), "empty"),
    ],
)
def test_layouts_by_header(columns: list[str], kind: str, text_columns: tuple[str, ...], empty_status: str) -> None:
    layout = detect_layout(columns, "f.csv")
    assert (layout.kind, layout.text_columns, layout.empty_status) == (kind, text_columns, empty_status)


def test_text_of_joins_the_parts_with_a_blank_line() -> None:
    layout = Layout("linkedin_messages", ("SUBJECT", "CONTENT"))
    assert layout.text_of({"SUBJECT": "  Oferta ", "CONTENT": " Hola \n"}) == "Oferta\n\nHola"
    assert layout.text_of({"SUBJECT": " ", "CONTENT": "Hola"}) == "Hola"
    assert layout.text_of({"SUBJECT": "Solo asunto", "CONTENT": ""}) == "Solo asunto"
    assert layout.text_of({"CONTENT": "sin asunto"}) == "sin asunto" and layout.text_of({}) == ""


def test_a_named_text_column_wins_and_is_checked() -> None:
    messages = ["FROM", "TO", "DATE", "SUBJECT", "CONTENT"]
    assert detect_layout(messages, "m.csv", text_column="subject") == Layout("csv", ("SUBJECT",))
    with pytest.raises(
        DataError,
        match=r"^m.csv has no column 'x{60}'. Its columns are: FROM, TO, DATE, SUBJECT, CONTENT. "
        r"Fix: pass one of them to --text-column.$",
    ):
        detect_layout(messages, "m.csv", text_column="x" * 100)
    with pytest.raises(
        DataError,
        match=r"^x.csv: several columns could hold the text. Its columns are: texto, body. "
        r"Fix: name the text column with --text-column NAME.$",
    ):
        detect_layout(["texto", "body"], "x.csv")


def test_what_a_source_is(tmp_path: Path) -> None:
    data = tmp_path / "data.PQ"
    data.write_bytes(b"not parquet bytes: the name says it")
    hidden = tmp_path / "table.bin"
    hidden.write_bytes(b"PAR1....")
    plain = tmp_path / "plain.csv"
    plain.write_text("text\nhola\n", encoding="utf-8")
    assert [s.kind for s in resolve_inputs([str(data), str(hidden), str(plain)])] == ["parquet", "parquet", "csv"]
    (source,) = resolve_sources(str(plain))
    assert (source.name, source.size, source.path, source.on_disk, source.archive) == (
        "plain.csv",
        10,
        plain,
        plain,
        None,
    )
    with source.open() as fh:
        assert fh.read() == b"text\nhola\n"
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Export/messages.csv", MESSAGES_CSV)
    (member,) = resolve_sources(str(archive))
    assert (member.name, member.size, member.path, member.archive, member.on_disk) == (
        "messages.csv",
        len(MESSAGES_CSV),
        None,
        archive,
        archive,
    )


def test_a_zip_is_known_by_its_bytes_or_its_name(tmp_path: Path) -> None:
    odd = tmp_path / "export.data"
    with zipfile.ZipFile(odd, "w") as zf:
        zf.writestr("messages.csv", MESSAGES_CSV)
    assert [s.name for s in resolve_sources(str(odd))] == ["messages.csv"]
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w"):
        pass
    with pytest.raises(DataError, match=r"empty.zip holds neither messages\.csv nor Invitations\.csv \(it is empty\)"):
        resolve_sources(str(empty))
    fake = tmp_path / "fake.zip"
    fake.write_text("text\nhola\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"fake.zip is not a readable zip archive: it is damaged or incomplete"):
        resolve_sources(str(fake))


def test_the_shallowest_copy_of_each_export_file_is_read(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a/a/messages.csv", "CONTENT,FROM,TO\ndeep,a,b\n")  # first by name, but deeper
        zf.writestr("a/messages.csv", "CONTENT,FROM,TO\nshallow,a,b\n")
        zf.writestr("a/b/c/invitations.csv", "From,To,Message\na,b,hola\n")
        zf.writestr("a/", "")
    sources = resolve_sources(str(archive))
    assert [s.name for s in sources] == ["messages.csv", "invitations.csv"]
    with sources[0].open() as fh:
        assert b"shallow" in fh.read()


def test_a_folder_without_export_files_lists_what_it_holds(tmp_path: Path) -> None:
    for i in range(25):
        (tmp_path / f"note-{i:02d}.md").write_text("x", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        resolve_sources(str(tmp_path))
    message = str(caught.value)
    assert message.startswith(f"{tmp_path} holds neither messages.csv nor Invitations.csv (found: note-00.md, ")
    assert "note-19.md)" in message and "note-20.md" not in message
    assert message.endswith("Fix: point at LinkedIn's export archive or folder, or at a CSV file.")


def test_an_export_folder_reads_only_its_messages_and_invitations(tmp_path: Path) -> None:
    (tmp_path / "Profile.csv").write_text("First Name\nAna\n", encoding="utf-8")
    (tmp_path / "notes.csv").write_text("text\nhola\n", encoding="utf-8")
    (tmp_path / "Invitations.csv").write_text("From,To,Message\na,b,hola\n", encoding="utf-8")
    assert [s.name for s in resolve_sources(str(tmp_path))] == ["Invitations.csv"]


def test_stdin_is_spooled_once_whatever_it_holds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def stdin(data: bytes) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))

    stdin(b"text\nhola\n")
    (source,) = resolve_sources("-")
    assert (source.name, source.kind, source.size, source.path) == ("stdin", "csv", 10, None)
    with source.open() as fh:
        assert fh.read() == b"text\nhola\n"
    stdin(b"PAR1 data")
    assert resolve_sources("-")[0].kind == "parquet"
    export_zip(tmp_path / "e.zip")
    stdin((tmp_path / "e.zip").read_bytes())
    (member,) = resolve_sources("-")
    assert member.name == "messages.csv"
    with member.open() as fh:
        assert fh.read().decode() == MANY_MESSAGES_CSV
    with pytest.raises(DataError, match=r"^'-' \(stdin\) can be given only once.$"):
        resolve_inputs(["-", "-"])


def test_missing_inputs_say_what_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"^No such file or folder: .*missing.csv$"):
        resolve_sources(str(tmp_path / "missing.csv"))
    with pytest.raises(DataError, match=r"^No such file or folder: .*nothing-\*.csv \(the pattern matched no file\)$"):
        resolve_sources(str(tmp_path / "nothing-*.csv"))
    (tmp_path / "dir-a.csv").mkdir()  # a pattern that matches only a folder: no file to read
    with pytest.raises(DataError, match=r"dir-\*.csv$"):
        resolve_sources(str(tmp_path / "dir-*.csv"))


def test_an_unreadable_file_says_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.csv"
    path.write_text(MESSAGES_CSV, encoding="utf-8")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(linkedin, "_head", refuse)
    with pytest.raises(
        DataError,
        match=r"^.*m.csv: permission denied, intent cannot read this file. Fix: check its permissions \(e.g. ls -l\), "
        r"or copy the files somewhere you can read them.$",
    ):
        resolve_sources(str(path))


def test_a_damaged_member_is_named(tmp_path: Path) -> None:
    (source,) = resolve_sources(str(bad_crc_zip(tmp_path / "export.zip")))
    damaged = r"^messages.csv in .*export.zip is damaged \(.*\). Fix: download or copy it"
    with pytest.raises(DataError, match=damaged), source.open() as fh:
        fh.read()


def test_a_large_member_is_read_whole_in_pieces(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    body = "CONTENT,FROM,TO\n" + "hola, qué tal,a,b\n".replace(", qué", " qué") * 20_000
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("messages.csv", body)
    (source,) = resolve_sources(str(archive))
    with source.open() as fh:
        pieces = list(iter(lambda: fh.read(5000), b""))  # read as the CSV reader reads: a piece at a time
    assert b"".join(pieces).decode() == body and len(body) > 1 << 18


def test_an_encrypted_export_says_how_to_read_it(tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        resolve_sources(str(encrypted_zip(tmp_path / "export.zip")))
    assert str(caught.value) == (
        f"{tmp_path / 'export.zip'} is password-protected (encrypted): intent cannot read it. Fix: unzip it with "
        "its password and give intent the folder, or its messages.csv."
    )


def test_a_member_in_an_unknown_compression_is_named(tmp_path: Path) -> None:
    (source,) = resolve_sources(str(unknown_compression_zip(tmp_path / "export.zip")))
    with pytest.raises(DataError, match=r"^messages.csv in .*export.zip cannot be read \(.*\). Fix: download or copy"):
        source.open()


def test_a_damaged_zip_on_stdin_is_named_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(truncated_zip(tmp_path / "t.zip").read_bytes())))
    with pytest.raises(DataError, match=r"^stdin is not a readable zip archive: it is damaged or incomplete"):
        resolve_sources("-")


# ---- issue 21: the codes and names users (and the web API) see --------------------------------------


def not_a_zip(path: Path) -> Path:
    path.write_text("text\nhola\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (encrypted_zip, "encrypted_zip"),
        (truncated_zip, "damaged_zip"),
        (not_a_zip, "damaged_zip"),
        (bad_crc_zip, "damaged_zip"),  # found while reading the member
        (unknown_compression_zip, "damaged_zip"),  # found when opening the member
    ],
    ids=["encrypted", "truncated", "not-a-zip", "bad-crc", "unknown-compression"],
)
def test_each_unreadable_archive_has_its_code(tmp_path: Path, make: object, code: str) -> None:
    """The web API answers the code beside the message: a client tells a password from damage by it."""
    with pytest.raises(DataError) as caught:
        for source in resolve_sources(str(make(tmp_path / "export.zip"))):  # type: ignore[operator]
            with source.open() as fh:
                fh.read()
    assert caught.value.code == code


def test_a_folder_without_export_files_has_its_code(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("x", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        resolve_sources(str(tmp_path))
    assert caught.value.code == "no_export_files"


def test_sources_are_named_as_the_user_can_find_them(tmp_path: Path) -> None:
    """Matches of a pattern by their path, partitions in subfolders by their path in the folder."""
    parts = tmp_path / "parts"
    (parts / "2024").mkdir(parents=True)
    (parts / "2025").mkdir()
    for year in ("2024", "2025"):
        (parts / year / "part-0.csv").write_text("text\nhola\n", encoding="utf-8")
    assert [s.name for s in resolve_sources(str(parts))] == ["2024/part-0.csv", "2025/part-0.csv"]
    pattern = str(parts / "202[45]" / "part-?.c*")  # every wildcard at once
    assert [s.name for s in resolve_sources(pattern)] == [str(parts / y / "part-0.csv") for y in ("2024", "2025")]
    missing = tmp_path / "MISSING-X.csv"  # no wildcard: no note about a pattern
    with pytest.raises(DataError, match=rf"^No such file or folder: {missing}$"):
        resolve_sources(str(missing))


def test_a_parquet_file_is_known_by_its_bytes_whatever_its_name(tmp_path: Path) -> None:
    (tmp_path / "part-0.csv").write_bytes(b"PAR1 data")
    (tmp_path / "part-1.csv").write_text("text\nhola\n", encoding="utf-8")
    assert [s.kind for s in resolve_sources(str(tmp_path))] == ["parquet", "csv"]


def test_stdin_alone_is_accepted_among_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from intent.io.linkedin import resolve_inputs

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"text\nhola\n")))
    plain = tmp_path / "plain.csv"
    plain.write_text("text\nadios\n", encoding="utf-8")
    assert [s.name for s in resolve_inputs(["-", str(plain)])] == ["stdin", "plain.csv"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_named_pipe_keeps_its_name(tmp_path: Path) -> None:
    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(MESSAGES_CSV, encoding="utf-8"), daemon=True)
    writer.start()
    (source,) = resolve_sources(str(fifo))
    writer.join(5)
    assert source.name == "in.csv"
    with source.open() as fh:
        assert fh.read().decode() == MESSAGES_CSV

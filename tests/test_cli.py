from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from intent.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_predict_prints_label(mini_model_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--model", str(mini_model_path), "no me interesa, gracias"]) == 0
    out = capsys.readouterr().out
    assert out.split()[0] in {"spam_sales", "genuine_networking", "gatekeeping_rejection"}


def test_predict_json_from_stdin(
    mini_model_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("hola\n\nno gracias\n"))
    assert main(["predict", "--json", "--model", str(mini_model_path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["status"] for r in rows] == ["ok", "empty", "ok"]


def test_user_error_is_one_line_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--model", str(tmp_path / "none.joblib"), "hola"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("intent: error:") and "Traceback" not in err and "intent train" in err


def test_train_py_help_is_the_train_command() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "train.py"), "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--data" in out and "--spacy-model" in out


def test_console_script_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "intent.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("predict", "train"):
        assert command in out


def test_classify_without_input_uses_the_shipped_sample(
    mini_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["classify", "--model", str(mini_model_path), "--format", "jsonl"]) == 0
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert len(records) == 23 and {r["source_file"] for r in records} == {"messages.csv", "Invitations.csv"}
    assert "23 rows classified" in captured.err
    assert {r["owner"] for r in records} == {"Lucía Ferrer"}
    assert "18 conversations (11 in messages, 7 invitations)" in captured.err
    assert "export of Lucía Ferrer" in captured.err


def test_classify_bad_input_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "x.csv"
    src.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["classify", str(src), "-o", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "--text-column" in err and "Traceback" not in err


def test_classify_takes_several_inputs(mini_model_path: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("text\nhola\n", encoding="utf-8")
    b.write_text("text\nno gracias\nadios\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["classify", str(a), str(b), "-o", str(out), "--model", str(mini_model_path), "--quiet"]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line]
    assert [r["source_file"] for r in records] == ["a.csv", "b.csv", "b.csv"]


def test_evaluate_defaults_to_the_test_set_and_the_challenge_test_split(
    mini_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from intent.config import CHALLENGE_CSV

    assert main(["evaluate", "--model", str(mini_model_path), "--output-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("test: macro-F1")
    import csv

    n_test = sum(r["split"] == "test" for r in csv.DictReader(CHALLENGE_CSV.open(encoding="utf-8", newline="")))
    assert "\nchallenge-test: macro-F1" in out and f"(n={n_test})" in out
    assert "hardest phenomena:" in out and "flagged" in out
    assert (tmp_path / "test" / "report.md").is_file() and (tmp_path / "challenge-test" / "report.md").is_file()
    metrics = json.loads((tmp_path / "challenge-test" / "metrics.json").read_text(encoding="utf-8"))
    assert "phenomenon" in metrics["slices"] and metrics["n"] == n_test


def test_evaluate_split_of_a_given_file(
    mini_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ROOT / "tests" / "fixtures" / "mini_challenge.csv"
    common = [str(data), "--model", str(mini_model_path), "--output-dir", str(tmp_path)]
    assert main(["evaluate", *common, "--split", "dev"]) == 0
    assert "mini_challenge-dev: macro-F1" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "mini_challenge-dev" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n"] == 9
    assert main(["evaluate", *common, "--split", "nope"]) == 2
    assert "no rows with split='nope'" in capsys.readouterr().err


def test_conversations_of_the_sample_with_no_other_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's check: the shipped model, the sample export, one row per conversation."""
    import csv

    from intent.config import SAMPLE_EXPORT

    monkeypatch.delenv("INTENT_MODEL", raising=False)
    out = tmp_path / "conv.csv"
    assert main(["classify", str(SAMPLE_EXPORT), "--conversations", "-o", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    rodrigo = [r for r in rows if r["other_party"] == "Rodrigo Salas"]
    assert len(rodrigo) == 1
    assert (rodrigo[0]["intent"], rodrigo[0]["last_from"], rodrigo[0]["messages_in"], rodrigo[0]["messages_out"]) == (
        "spam_sales",
        "owner",
        "1",
        "1",
    )
    by_party = {r["other_party"]: r for r in rows}
    assert by_party["Javier Lozano; Paula Gil"]["awaiting_reply"] == "true"  # the group, unanswered
    assert by_party["Andrés Mejía"]["drafts"] == "1" and by_party["Andrés Mejía"]["awaiting_reply"] == "true"
    assert by_party["Nuria Campos"]["intent"] == "spam_sales"  # subject only
    assert by_party["Gonzalo Ruiz"]["intent"] == "spam_sales"  # small talk, then the pitch
    assert by_party["Irene Castro"]["status"] == "no_incoming"  # an OUTGOING invitation
    assert by_party["Pablo Ortega"]["status"] == "no_text"  # an invitation without a note
    err = capsys.readouterr().err
    assert "pitched most:" in err and "Rodrigo Salas 1" in err
    assert "genuine conversations awaiting your reply:" in err


def test_conversations_and_owner_errors_are_one_line(
    mini_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from intent.config import SAMPLE_EXPORT

    plain = tmp_path / "x.csv"
    plain.write_text("text\nhola\n", encoding="utf-8")
    common = ["--model", str(mini_model_path), "-o", str(tmp_path / "o.csv")]
    assert main(["classify", str(plain), "--conversations", *common]) == 2
    assert "conversations needs LinkedIn's export" in capsys.readouterr().err
    assert main(["classify", str(SAMPLE_EXPORT), "--owner", "Nadie Conocido", *common]) == 2
    err = capsys.readouterr().err
    assert err.startswith("intent: error: --owner 'Nadie Conocido'") and "'Lucía Ferrer'" in err
    assert main(["classify", str(SAMPLE_EXPORT), "--conversations", "--engine", "dask", *common]) == 2
    assert "drop --engine dask" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from intent.cli import main
from intent.errors import DataError

ROOT = Path(__file__).resolve().parent.parent


def test_predict_prints_label(mini_model_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--model", str(mini_model_path), "no me interesa, gracias"]) == 0
    out = capsys.readouterr().out
    assert out.split()[0] in {"spam_sales", "genuine_networking", "gatekeeping_rejection"}


def test_predict_labels_several_messages_in_order(mini_model_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    texts = ["no me interesa, gracias", "   ", "hola, ¿conectamos?"]
    assert main(["predict", "--json", "--model", str(mini_model_path), *texts]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in rows] == texts
    assert [r["status"] for r in rows] == ["ok", "empty", "ok"]


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


def test_python_dash_m_intent_and_version(tmp_path: Path) -> None:
    import intent

    for argv in (["-m", "intent", "--version"], ["-m", "intent.cli", "--version"]):
        done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, check=True, cwd=tmp_path)
        assert done.stdout.strip() == f"intent {intent.__version__}"
    out = subprocess.run(
        [sys.executable, "-m", "intent", "--help"], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout
    for command in ("classify", "predict", "explain", "evaluate", "review", "train", "serve"):
        assert command in out
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran


def test_one_source_for_the_version() -> None:
    import tomllib
    from importlib.metadata import version

    import intent

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "src/intent/__init__.py"
    assert version("intent") == intent.__version__


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
    assert "no INPUT given" in captured.err and "sample export" in captured.err and "'-'" in captured.err
    # said even with --quiet: `intent classify -o out.csv` with the input forgotten must not pass unnoticed
    assert main(["classify", "--model", str(mini_model_path), "--format", "jsonl", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "no INPUT given" in err and "rows classified" not in err


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

    assert main(["evaluate", "--model", str(mini_model_path), "--reports-dir", str(tmp_path)]) == 0
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
    common = [str(data), "--model", str(mini_model_path), "--reports-dir", str(tmp_path)]
    assert main(["evaluate", *common, "--split", "dev"]) == 0
    assert "mini_challenge-dev: macro-F1" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "mini_challenge-dev" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n"] == 9
    assert main(["evaluate", *common, "--split", "nope", "--name", "other"]) == 2
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


@pytest.mark.parametrize("command", ["classify", "predict", "explain", "evaluate", "review", "train", "serve"])
def test_unknown_option_shows_the_subcommands_usage(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--bogus", *(["hola"] if command == "explain" else [])])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: intent {command}") and "unrecognized arguments: --bogus" in err


def test_same_options_for_the_same_ideas(capsys: pytest.CaptureFixture[str]) -> None:
    from intent.cli import build_parser

    commands = {
        name: parser
        for action in build_parser()._subparsers._group_actions  # type: ignore[union-attr]
        for name, parser in action.choices.items()
    }

    def options(name: str) -> set[str]:
        return {o for a in commands[name]._actions if a.help != "==SUPPRESS==" for o in a.option_strings}

    for name in commands:
        assert {"-q", "--quiet"} <= options(name), name
    for name in ("classify", "review", "train", "evaluate"):  # the commands that write files
        assert "--force" in options(name), name
    for name in ("classify", "review", "train"):
        assert {"-o", "--output"} <= options(name), name
    for name in ("classify", "review", "train", "evaluate"):  # the commands that read messages from files
        assert {"--text-column", "--on-bad-lines"} <= options(name), name
    for name in ("train", "evaluate"):
        assert {"--label-column", "--reports-dir"} <= options(name), name
        assert not {"--report-dir", "--output-dir"} & options(name)  # deprecated: hidden from help


@pytest.mark.parametrize(
    ("argv", "old"),
    [(["evaluate", "--output-dir"], "--output-dir"), (["train", "--report-dir"], "--report-dir")],
)
def test_old_reports_folder_options_still_work(argv: list[str], old: str, capsys: pytest.CaptureFixture[str]) -> None:
    from intent.cli import build_parser

    args = build_parser().parse_args([*argv, "somewhere"])
    assert args.reports_dir == Path("somewhere")
    err = capsys.readouterr().err
    assert err == f"intent: note: {old} is deprecated and will be removed; use --reports-dir\n"


def test_defaults_are_shown_in_the_current_folder(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "200")
    shown = {}
    for command in ("train", "evaluate", "review"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        shown[command] = " ".join(capsys.readouterr().out.split())
    assert "./models/intent-custom.joblib" in shown["train"] and "./reports/" in shown["train"]
    assert "./reports/" in shown["evaluate"] and "./to_label.csv" in shown["review"]


def test_help_is_wrapped_to_the_terminal(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for columns in ("60", "100"):
        monkeypatch.setenv("COLUMNS", columns)
        for command in ("classify", "evaluate", "train", "serve"):
            with pytest.raises(SystemExit):
                main([command, "--help"])
            lines = capsys.readouterr().out.splitlines()
            prose = [line for line in lines if not line.startswith("  ")]  # examples keep their own lines
            assert max(map(len, prose)) <= int(columns), (command, columns)
            assert len(lines) > 5


def test_exit_statuses(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import argparse

    from intent.cli import run_handler
    from intent.errors import Terminated

    def raising(exc: BaseException):  # type: ignore[no-untyped-def]
        def handler(args: argparse.Namespace) -> int:
            raise exc

        return handler

    assert run_handler(argparse.Namespace(handler=lambda a: 0)) == 0
    assert run_handler(argparse.Namespace(handler=raising(DataError("bad")))) == 2
    assert run_handler(argparse.Namespace(handler=raising(KeyboardInterrupt()))) == 130
    assert run_handler(argparse.Namespace(handler=raising(Terminated()))) == 143


def test_advice_names_only_what_the_user_has(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from intent import config
    from intent.errors import ModelLoadError

    assert "make train" in config.retrain_hint()  # a checkout has the Makefile
    monkeypatch.setattr(config, "IN_CHECKOUT", False)
    assert "make" not in config.retrain_hint() and "intent train" in config.retrain_hint()
    monkeypatch.delenv("INTENT_MODEL", raising=False)
    monkeypatch.setattr(config, "PACKAGED_MODEL_PATH", Path("/nonexistent/intent-es.joblib"))
    with pytest.raises(ModelLoadError) as exc:
        config.default_model_path()
    assert "make" not in str(exc.value) and "INTENT_MODEL" in str(exc.value)


@pytest.mark.parametrize(
    ("module", "argv", "extra"),
    [
        ("fastapi", ["serve", "--port", "0"], "web"),
        ("distributed", ["classify", "x.csv", "-o", "out", "--engine", "dask"], "dask"),
    ],
)
def test_a_missing_extra_is_one_line_naming_the_install(
    module: str, argv: list[str], extra: str, monkeypatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"pip install 'intent[{extra}]'" in err and "Traceback" not in err


def test_parquet_without_pyarrow_names_the_extra(tmp_path: Path, mini_model_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.parquet"
    path.write_bytes(b"PAR1 not really")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    assert main(["classify", str(path), "--model", str(mini_model_path)]) == 2
    assert "pip install 'intent[parquet]'" in capsys.readouterr().err


def test_evaluate_writes_under_the_current_folder_and_never_overwrites(
    mini_model_path: Path, tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "mios.csv"
    data.write_text("texto;etiqueta\nno gracias;rechazo\n¿una demo?;venta\nencantada;networking\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", "mios.csv", "--model", str(mini_model_path)]) == 0
    out = capsys.readouterr().out
    assert "report: reports/mios/report.md" in out and (tmp_path / "reports" / "mios" / "metrics.json").is_file()
    assert main(["evaluate", "mios.csv", "--model", str(mini_model_path)]) == 2
    assert "reports/mios already exists" in capsys.readouterr().err
    (tmp_path / "reports" / "mios" / "stale.txt").write_text("old run", encoding="utf-8")
    assert main(["evaluate", "mios.csv", "--model", str(mini_model_path), "--force"]) == 0
    assert sorted(p.name for p in (tmp_path / "reports" / "mios").iterdir()) == [
        "confusion_matrix.png",
        "metrics.json",
        "reliability.png",
        "report.md",
    ]  # replaced as a whole
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["mios"]  # no temporary folder left


def test_evaluate_without_matplotlib_writes_the_report_without_images(
    mini_model_path: Path, tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    data = ROOT / "tests" / "fixtures" / "mini_corpus.csv"
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["evaluate", str(data), "--model", str(mini_model_path), "--reports-dir", str(tmp_path)]) == 0
    folder = tmp_path / "mini_corpus"
    assert sorted(p.name for p in folder.iterdir()) == ["metrics.json", "report.md"]
    assert ".png" not in (folder / "report.md").read_text(encoding="utf-8")
    err = capsys.readouterr().err
    assert "pip install 'intent[report]'" in err and err.count("\n") == 1


def test_train_refuses_to_replace_without_force_before_any_work(
    tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    data = ROOT / "tests" / "fixtures" / "mini_corpus.csv"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "intent-custom.joblib").write_bytes(b"mine")
    assert main(["train", "--data", str(data), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "models/intent-custom.joblib already exists" in err and "--force" in err
    (tmp_path / "reports" / "mio").mkdir(parents=True)
    assert main(["train", "--data", str(data), "-o", "models/mio.joblib", "--quiet"]) == 2
    assert "reports/mio already exists" in capsys.readouterr().err
    assert (tmp_path / "models" / "intent-custom.joblib").read_bytes() == b"mine"


def test_review_reads_like_classify_and_is_quiet(
    mini_model_path: Path, tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert main(["review", "--model", str(mini_model_path), "-n", "3", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "no INPUT given" in err and "wrote" not in err
    assert (tmp_path / "to_label.csv").is_file()
    bad = tmp_path / "bad.csv"
    bad.write_text("texto\nhola\nuno,dos\nadios\n", encoding="utf-8")
    assert main(["review", str(bad), "-o", "r.csv", "--model", str(mini_model_path), "--quiet"]) == 2
    assert "--on-bad-lines skip" in capsys.readouterr().err
    args = [str(bad), "-o", "r.csv", "--model", str(mini_model_path), "--on-bad-lines", "skip"]
    assert main(["review", *args]) == 0


def test_evaluate_a_split_of_a_saved_datasetdict(
    mini_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datasets import DatasetDict

    from intent.learn.data import load_labeled

    ds = load_labeled(ROOT / "tests" / "fixtures" / "mini_corpus.csv")
    DatasetDict({"train": ds, "validation": ds.select(range(6))}).save_to_disk(str(tmp_path / "dd"))
    common = [str(tmp_path / "dd"), "--model", str(mini_model_path), "--reports-dir", str(tmp_path / "r")]
    assert main(["evaluate", *common, "--split", "validation"]) == 0
    out = capsys.readouterr().out
    assert "dd-validation: macro-F1" in out and "(n=6)" in out
    assert main(["evaluate", *common, "--split", "nope"]) == 2
    assert "has splits ['train', 'validation']" in capsys.readouterr().err

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intent.errors import DataError
from intent.learn.training import TrainSettings, format_report, run
from intent.model_io import load_model_file

FIXTURE = Path(__file__).parent / "fixtures" / "mini_corpus.csv"
CHALLENGE = Path(__file__).parent / "fixtures" / "mini_challenge.csv"


def settings(tmp_path: Path, name: str) -> TrainSettings:
    return TrainSettings(
        train_sources=[FIXTURE],
        test_source=FIXTURE,
        challenge_source=CHALLENGE,
        output=tmp_path / f"{name}.joblib",
        cv_folds=3,
        n_jobs=1,
        textcat_epochs=1,
        report_dir=tmp_path / "reports",
        quiet=True,
    )


@pytest.mark.slow
def test_run_writes_model_metadata_and_baselines(tmp_path: Path) -> None:
    meta = run(settings(tmp_path, "a"))
    on_disk = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert on_disk == meta
    for key in (
        "labels",
        "versions",
        "spacy_pipeline",
        "data",
        "hyperparameters",
        "cv",
        "test",
        "trained_at",
    ):
        assert key in meta
    assert {"model", "majority_class", "tfidf_logreg_no_spacy", "spacy_textcat"} <= set(meta["test"])
    for system in ("model", "majority_class", "tfidf_logreg_no_spacy", "spacy_textcat"):
        assert meta["test"][system]["messages_per_second"] > 0 and meta["test"][system]["train_seconds"] >= 0
    card = (tmp_path / "a.MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Intended use" in card and "majority class" in card and "Ethical notes" in card
    assert (tmp_path / "a.confusion_matrix.png").is_file()
    # one report per held-out set: the test file and the challenge set's test split
    assert (tmp_path / "reports" / "a" / "mini_corpus" / "report.md").is_file()
    assert (tmp_path / "reports" / "a" / "challenge-test" / "report.md").is_file()
    # the challenge set's dev rows joined the training data; its test rows were only reported
    assert sum(meta["data"]["train_counts"].values()) == 36 + 9
    assert meta["challenge_test"]["model"]["n"] == 6 and meta["data"]["challenge_test"]["n"] == 6
    assert {"majority_class", "tfidf_logreg_no_spacy", "abstention", "phenomenon"} <= set(meta["challenge_test"])
    assert set(meta["challenge_test"]["phenomenon"]) == {
        "late_pitch",
        "coffee_pitch",
        "seller_peer",
        "wants_to_buy",
        "ironic_refusal",
        "refusal_names_offer",
    }
    # every design is in the table, the chosen one has the best cross-validated score
    table = {row["design"]: row for row in meta["designs"]}
    assert len(table) == 4 and meta["design"] in table
    assert table[meta["design"]]["cv_macro_f1"] == max(row["cv_macro_f1"] for row in table.values())
    assert all({"test", "challenge_test"} <= set(row) for row in table.values())
    # file names and hashes are recorded, never the folders they were in
    assert meta["data"]["train"][0]["source"] == "mini_corpus.csv"
    assert str(tmp_path) not in json.dumps(meta)
    assert len(meta["data"]["train"][0]["sha256"]) == 64
    assert meta["spacy_pipeline"]["name"] == "blank:es"
    report = format_report(meta)
    assert "majority class" in report and "no spaCy" in report
    assert "challenge test (n=6)" in report and "uncertain flag" in report and meta["design"] in report
    # Determinism: a second run on the same data gives the same predictions and probabilities.
    run(settings(tmp_path, "b"))
    texts = ["no gracias", "curso de ventas por 99€", "encantada de conectar"]
    a, b = load_model_file(tmp_path / "a.joblib"), load_model_file(tmp_path / "b.joblib")
    assert (a.predict_proba(texts) == b.predict_proba(texts)).all()


def test_settings_validate() -> None:
    with pytest.raises(DataError):
        TrainSettings(cv_folds=1)
    with pytest.raises(DataError):
        TrainSettings(train_sources=[])


def test_too_few_examples_per_label(tmp_path: Path) -> None:
    path = tmp_path / "tiny.csv"
    path.write_text("text,label\nhola,spam\nque tal,networking\nno,rechazo\n", encoding="utf-8")
    s = TrainSettings(
        train_sources=[path],
        test_source=None,
        challenge_source=None,
        output=tmp_path / "m.joblib",
        report_dir=None,
        quiet=True,
    )
    with pytest.raises(DataError, match="at least 5 examples"):
        run(s)


@pytest.mark.slow
def test_classify_review_correct_train_loop(tmp_path: Path, mini_model_path: Path) -> None:
    """classify -> review -> a person corrects labels -> train: the corrections are learned, and the
    shipped model is untouched."""
    import csv

    from intent.cli import main
    from intent.config import CHECKOUT_MODEL_PATH
    from intent.io.batch import BatchOptions, classify_file
    from intent.model_io import sha256_of

    shipped_before = sha256_of(CHECKOUT_MODEL_PATH)
    inbox = tmp_path / "inbox.csv"
    messages = [
        "Te paso el contacto del proveedor de café que te comenté, avísame si te sirve",
        "Buenas, ¿me pasas tu número para enviarte la propuesta del seguro?",
        "Gracias pero ahora mismo no tengo tiempo para colaborar en eso",
        "Hola! Me sumo al grupo de UX de Lima, ¿cuándo es la próxima juntada?",
    ]
    with inbox.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["mensaje"], *([m] for m in messages)])
    classify_file(str(inbox), tmp_path / "classified.csv", mini_model_path, BatchOptions())
    to_label = tmp_path / "to_label.csv"
    assert main(["review", str(inbox), "-o", str(to_label), "--n", "4", "--model", str(mini_model_path)]) == 0
    rows = list(csv.DictReader(to_label.open(encoding="utf-8")))
    truth = dict(zip(messages, ["networking", "venta", "rechazo", "networking"], strict=True))  # aliases
    for row in rows:
        row["label"] = truth[row["text"]]
    with to_label.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows * 3)  # the person labeled them; weight them like a small batch
    custom = tmp_path / "custom.joblib"
    assert (
        main(
            [
                "train",
                "--no-base",
                "--data",
                str(FIXTURE),
                "--data",
                str(to_label),
                "--output",
                str(custom),
                "--test",
                "none",
                "--cv-folds",
                "3",
                "--jobs",
                "1",
                "--textcat-epochs",
                "0",
                "--reports-dir",
                str(tmp_path / "reports"),
                "--quiet",
            ]
        )
        == 0
    )
    model = load_model_file(custom)
    expected = {"networking": "genuine_networking", "venta": "spam_sales", "rechazo": "gatekeeping_rejection"}
    assert model.predict([r["text"] for r in rows]) == [expected[truth[r["text"]]] for r in rows]
    assert sha256_of(CHECKOUT_MODEL_PATH) == shipped_before
    assert (tmp_path / "reports" / "custom" / "label_issues.csv").is_file()


def test_custom_data_never_targets_the_shipped_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from intent import cli
    from intent.config import CUSTOM_MODEL_OUTPUT

    seen = {}
    monkeypatch.setattr("intent.learn.training.run", lambda settings: seen.setdefault("s", settings) and {})
    monkeypatch.setattr("intent.learn.training.format_report", lambda meta: "")
    cli.main(["train", "--data", str(FIXTURE), "--quiet"])
    assert seen["s"].output == CUSTOM_MODEL_OUTPUT
    assert [str(s) for s in seen["s"].train_sources][-1] == str(FIXTURE) and len(seen["s"].train_sources) == 2


def test_fail_on_label_issues_stops_before_saving(tmp_path: Path) -> None:
    import csv

    path = tmp_path / "noisy.csv"
    rows = list(csv.DictReader(FIXTURE.open(encoding="utf-8")))
    rows[0]["label"] = "genuine_networking"  # a spam pitch, mislabeled
    rows[12]["label"] = "spam_sales"  # a warm networking note, mislabeled
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    s = TrainSettings(
        train_sources=[path],
        test_source=None,
        challenge_source=None,
        output=tmp_path / "m.joblib",
        cv_folds=3,
        n_jobs=1,
        textcat_epochs=0,
        report_dir=tmp_path / "r",
        fail_on_label_issues=True,
        quiet=True,
    )
    with pytest.raises(DataError, match="label audit flagged"):
        run(s)
    assert not (tmp_path / "m.joblib").exists()
    assert (tmp_path / "r" / "m" / "label_issues.csv").is_file()


@pytest.mark.parametrize(
    ("argv", "model"), [([], "intent-es.joblib"), (["--data", str(FIXTURE)], "intent-custom.joblib")]
)
def test_train_py_writes_into_the_checkout_wherever_it_runs(
    argv: list[str], model: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`make train` (train.py) replaces the checkout's shipped model; `intent train` writes where the user is."""
    import runpy
    import sys

    root = Path(__file__).resolve().parent.parent
    seen: dict[str, TrainSettings] = {}
    monkeypatch.setattr("intent.learn.training.run", lambda settings: seen.setdefault("s", settings) and {})
    monkeypatch.setattr("intent.learn.training.format_report", lambda meta: "")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["train.py", "--quiet", *argv])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(root / "train.py"), run_name="__main__")
    assert exit_.value.code == 0
    assert seen["s"].output == root / "models" / model and seen["s"].report_dir == root / "reports"


def test_the_users_column_names_apply_to_the_users_files_only(tmp_path: Path) -> None:
    from intent.config import CHALLENGE_CSV, TEST_CSV, TRAIN_CSV
    from intent.learn.training import _columns

    s = TrainSettings(text_column="cuerpo", label_column="etiqueta", on_bad_lines="skip")
    mine = {"text_column": "cuerpo", "label_column": "etiqueta", "on_bad_lines": "skip"}
    assert _columns(s, tmp_path / "mine.csv") == mine
    for shipped in (TRAIN_CSV, TEST_CSV, CHALLENGE_CSV):
        assert _columns(s, shipped) == {}


def test_no_silent_overwrite_of_a_model(tmp_path: Path) -> None:
    s = settings(tmp_path, "m")
    (tmp_path / "m.json").write_text("{}", encoding="utf-8")
    with pytest.raises(DataError, match=r"m.json already exists.*--force"):
        run(s)
    assert (tmp_path / "m.json").read_text(encoding="utf-8") == "{}"


def test_metadata_names_data_files_never_their_folders(tmp_path: Path) -> None:
    """Should fix (issue 17): a shared model must not carry the folder it was trained in."""
    import hashlib

    from intent.learn.data import HFSource
    from intent.learn.training import describe_source

    home = tmp_path / "home" / "ana" / "privado"
    home.mkdir(parents=True)
    data = home / "mis_mensajes.csv"
    data.write_text("text,label\nhola,networking\n", encoding="utf-8")
    saved = home / "saved_dataset"
    saved.mkdir()
    (saved / "data.arrow").write_bytes(b"x")
    described = [
        describe_source(data),
        describe_source(HFSource(str(saved), "train")),
        describe_source(HFSource("org/name")),
    ]
    assert described[0] == {"source": "mis_mensajes.csv", "sha256": hashlib.sha256(data.read_bytes()).hexdigest()}
    assert described[1]["source"] == "saved_dataset[train]" and len(described[1]["sha256"]) == 64
    assert described[2] == {"source": "hf:org/name[train]", "sha256": "hub:org/name"}
    assert str(tmp_path) not in json.dumps(described) and "ana" not in json.dumps(described)

"""Personal models: refitted from the base model's design on the corpus plus weighted corrections, measured
by cross-validation over the corrections, saved where the user says and usable like any model."""

from __future__ import annotations

import csv
import datetime as dt
import random
import stat
from pathlib import Path

import pytest

from intent.api import load_model
from intent.cli import main
from intent.config import LABELS, MODEL_ENV_VAR
from intent.errors import DataError
from intent.learn.personal import (
    Example,
    PersonalSettings,
    TooFewCorrections,
    _folds,
    check_examples,
    new_model_path,
    save,
    train_personal,
)
from intent.model_io import load_model_file, read_metadata

SPAM, GENUINE, REJECTION = LABELS


def nonsense(n: int, seed: int = 7) -> list[Example]:
    """Texts that share nothing with each other or the corpus, each with a label: a model can only memorise them."""
    rng = random.Random(seed)
    words = lambda: " ".join("".join(rng.choice("bcdfgjkpqvwxz") for _ in range(7)) for _ in range(4))  # noqa: E731
    return [Example(words(), LABELS[i % 3], f"writer {i}") for i in range(n)]


def test_too_few_corrections_are_refused_saying_how_many_and_why() -> None:
    settings = PersonalSettings(min_corrections=10)
    with pytest.raises(TooFewCorrections, match=r"9 correction\(s\); a personal model needs at least 10") as info:
        check_examples(nonsense(9), settings)
    assert "handful" in str(info.value)
    check_examples(nonsense(10), settings)  # the minimum itself is enough
    with pytest.raises(DataError, match="unknown label"):
        check_examples([*nonsense(10), Example("hola", "spam", "x")], settings)


def test_folds_keep_one_writers_corrections_together() -> None:
    examples = [Example(f"t{i}", SPAM, f"writer {i % 4}") for i in range(12)]
    folds, kept_by = _folds(examples, 5, seed=0)
    assert kept_by == "sender" and len(folds) == 4  # no more folds than writers
    held_everywhere = sorted(int(i) for _, held in folds for i in held)
    assert held_everywhere == list(range(12))  # each correction is predicted once
    for train, held in folds:
        assert not {examples[i].group for i in held} & {examples[i].group for i in train}
    folds, kept_by = _folds([Example(f"t{i}", SPAM, "one writer") for i in range(12)], 5, seed=0)
    assert kept_by == "message" and len(folds) == 5


@pytest.mark.slow  # trains personal models (on the mini corpus: seconds)
def test_corrections_are_scored_only_by_models_that_did_not_see_them(
    mini_base_path: Path, mini_personal: PersonalSettings
) -> None:
    base = load_model(mini_base_path)
    examples = nonsense(12)
    stages: list[str] = []
    personal = train_personal(examples, base, mini_personal, lambda stage, _: stages.append(stage))
    figures = personal.figures
    texts, labels = [e.text for e in examples], [e.label for e in examples]
    # taught with weight 10, the final model knows each of them; the figure it reports is not that
    assert personal.model.predict(texts) == labels
    assert figures["personal_right"] < len(examples)
    assert figures["base_right"] == sum(p == y for p, y in zip(base.predict(texts), labels, strict=True))
    assert [c["label"] for c in figures["per_correction"]] == labels
    assert figures["personal_right"] == sum(c["personal"] == c["label"] for c in figures["per_correction"])
    sure = sum(c["personal"] == c["label"] and c["personal_sure"] for c in figures["per_correction"])
    assert figures["personal_sure_right"] == sure <= figures["personal_right"]
    flagged = [r.uncertain for r in base.classify(texts, None)]
    assert [not c["base_sure"] for c in figures["per_correction"]] == flagged
    assert (figures["corrections"], figures["folds"], figures["grouped_by"]) == (12, 3, "sender")
    assert list(dict.fromkeys(stages)) == ["corpus", "preprocess", "cross_validation", "final", "held_out"]
    held = figures["held_out"]["mini_challenge_test"]
    assert held["n"] == sum(
        1 for r in csv.DictReader(mini_personal.held_out[0].open(encoding="utf-8")) if r["split"] == "test"
    )
    # the threshold and the design are the base model's
    assert personal.model.threshold == base.threshold
    assert personal.model.metadata["design"] == base.metadata["design"]


@pytest.mark.slow  # trains personal models (on the mini corpus: seconds)
def test_the_weight_makes_a_few_corrections_count(mini_base_path: Path, mini_personal: PersonalSettings) -> None:
    base = load_model(mini_base_path)
    # spam-like texts a user says are genuine: the corpus pulls one way, the corrections the other
    texts = [f"Oferta exclusiva, curso de ventas con descuento del {n}0% solo hoy, inscríbete" for n in range(1, 11)]
    examples = [Example(t, GENUINE, f"w{i}") for i, t in enumerate(texts)]
    light = train_personal(examples, base, PersonalSettings(**{**mini_personal.__dict__, "weight": 1.0}))
    heavy = train_personal(examples, base, PersonalSettings(**{**mini_personal.__dict__, "weight": 10.0}))
    g = LABELS.index(GENUINE)
    assert heavy.model.predict_proba(texts)[:, g].mean() > light.model.predict_proba(texts)[:, g].mean()
    assert heavy.figures["weight"] == 10.0 and light.figures["weight"] == 1.0


def test_a_model_without_a_recorded_design_cannot_be_the_base(
    mini_model_path: Path, mini_personal: PersonalSettings
) -> None:
    with pytest.raises(DataError, match="does not record its design"):
        train_personal(nonsense(10), load_model(mini_model_path), mini_personal)


def test_a_missing_corpus_is_a_clear_error(mini_base_path: Path, tmp_path: Path) -> None:
    settings = PersonalSettings(corpus=(tmp_path / "train.csv",), held_out=())
    with pytest.raises(DataError, match=r"train\.csv is missing from this installation"):
        train_personal(nonsense(10), load_model(mini_base_path), settings)


@pytest.mark.slow  # trains personal models (on the mini corpus: seconds)
def test_saved_with_its_json_and_card_then_used_by_classify_and_intent_model(
    mini_base_path: Path, mini_personal: PersonalSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    personal = train_personal(nonsense(10), load_model(mini_base_path), mini_personal, base_sha256="abc")
    folder = tmp_path / "mine" / "intent-personal"
    meta = save(personal, folder)
    path = Path(meta["model_path"])
    assert path.parent == folder and path.name.startswith("intent-personal-") and path.suffix == ".joblib"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # its vocabulary comes from personal messages
    assert read_metadata(path) == {k: v for k, v in meta.items() if k not in ("model_path", "card_path")}
    assert meta["personal"]["base"] == {"name": "mini-base", "sha256": "abc"}
    card = Path(meta["card_path"]).read_text(encoding="utf-8")
    assert "## A personal model" in card and "of 10 right" in card and "keep this file as private" in card
    loaded = load_model_file(path)
    assert loaded.metadata["personal"]["corrections"] == 10

    inbox = tmp_path / "inbox.csv"
    inbox.write_text("text\nOferta exclusiva de curso por 49€\nEncantada de conectar y de hablar del máster\n")
    out = tmp_path / "out.csv"
    assert main(["classify", str(inbox), "-o", str(out), "--model", str(path), "--quiet"]) == 0
    labeled = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["intent"] for r in labeled] == loaded.predict(
        ["Oferta exclusiva de curso por 49€", "Encantada de conectar y de hablar del máster"]
    )

    monkeypatch.setenv(MODEL_ENV_VAR, str(path))
    assert load_model().metadata["personal"]["corrections"] == 10


def test_a_new_personal_model_never_replaces_an_earlier_one(tmp_path: Path) -> None:
    when = dt.datetime(2026, 12, 2, 10, 30, 0)
    first = new_model_path(tmp_path, when)
    assert first.name == "intent-personal-20261202-103000.joblib"
    first.write_bytes(b"x")
    second = new_model_path(tmp_path, when)
    assert second.name == "intent-personal-20261202-103000-2.joblib"
    second.with_suffix(".json").write_text("{}")  # a metadata file alone also takes the name
    assert new_model_path(tmp_path, when).name == "intent-personal-20261202-103000-3.joblib"

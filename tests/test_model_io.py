from __future__ import annotations

import json
import shutil
from pathlib import Path

import joblib
import pytest

from intent.config import TRUST_MODEL_ENV_VAR
from intent.errors import ModelLoadError
from intent.model import IntentModel
from intent.model_io import load_model_file, metadata_path, save_model, sha256_of


def copy_model(src: Path, dst_dir: Path) -> Path:
    dst = dst_dir / src.name
    shutil.copy(src, dst)
    shutil.copy(metadata_path(src), metadata_path(dst))
    return dst


def test_save_load_roundtrip_identical(
    mini_model: IntentModel, mini_model_path: Path, mini_data: tuple[list[str], list[str]]
) -> None:
    texts, _ = mini_data
    loaded = load_model_file(mini_model_path)
    assert loaded.predict(texts) == mini_model.predict(texts)
    assert (loaded.predict_proba(texts) == mini_model.predict_proba(texts)).all()
    meta = json.loads(metadata_path(mini_model_path).read_text(encoding="utf-8"))
    assert len(meta["model_sha256"]) == 64 and meta["threshold"] == mini_model.threshold


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="intent train"):
        load_model_file(tmp_path / "nope.joblib")


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.joblib"
    path.touch()
    with pytest.raises(ModelLoadError, match="empty"):
        load_model_file(path)


def test_truncated_file(mini_model_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.joblib"
    path.write_bytes(mini_model_path.read_bytes()[:5000])
    with pytest.raises(ModelLoadError, match="truncated, damaged"):
        load_model_file(path, trust=True)


def test_checksum_mismatch_is_refused(mini_model_path: Path, tmp_path: Path) -> None:
    path = copy_model(mini_model_path, tmp_path)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="SHA-256"):
        load_model_file(path)


def test_foreign_object_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "foreign.joblib"
    joblib.dump({"not": "a model"}, path)
    with pytest.raises(ModelLoadError, match="not an intent model"):
        load_model_file(path, trust=True)


def test_another_sklearn_version_still_loads(mini_model_path: Path, tmp_path: Path) -> None:
    """The file holds arrays, not scikit-learn objects: a model outlives a scikit-learn upgrade."""
    path = copy_model(mini_model_path, tmp_path)
    meta_file = metadata_path(path)
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    meta["versions"] = {"scikit-learn": "0.24.2"}
    meta_file.write_text(json.dumps(meta), encoding="utf-8")
    assert load_model_file(path).predict("no me interesa") in (
        "spam_sales",
        "genuine_networking",
        "gatekeeping_rejection",
    )


def test_the_file_holds_plain_data_only(mini_model_path: Path) -> None:
    """Every byte of the model loads with an unpickler that refuses any class or function."""
    import pickle

    class NoGlobals(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> object:
            raise AssertionError(f"the model file names {module}.{name}")

    with mini_model_path.open("rb") as fh:
        payload = NoGlobals(fh).load()
    assert payload["format"] == "intent-model" and payload["format_version"] == 2
    assert all(isinstance(item["data"], bytes) for item in payload["arrays"].values())


def test_a_pickle_that_runs_code_is_refused_without_trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file naming a callable (here os.system, via __reduce__) is never unpickled unless trusted."""
    import os
    import pickle

    ran = tmp_path / "ran"

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {ran}",))

    path = tmp_path / "evil.joblib"
    path.write_bytes(pickle.dumps(Evil()))
    monkeypatch.delenv("INTENT_TRUST_MODEL", raising=False)
    with pytest.raises(ModelLoadError, match="Refusing to load it"):
        load_model_file(path)  # it has no .json either: refused before it is even read
    metadata_path(path).write_text(
        json.dumps({"format": "intent-model", "model_sha256": sha256_of(path)}), encoding="utf-8"
    )
    with pytest.raises(ModelLoadError, match="runs code when loaded"):
        load_model_file(path)
    assert not ran.exists()


def test_first_format_loads_when_trusted_and_checks_its_version(
    mini_model: IntentModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """intent 0.1 pickled the IntentModel itself: loaded only with explicit trust."""
    path = tmp_path / "old.joblib"
    joblib.dump(mini_model, path)
    monkeypatch.delenv("INTENT_TRUST_MODEL", raising=False)
    with pytest.raises(ModelLoadError, match="--trust-model"):
        load_model_file(path)
    loaded = load_model_file(path, trust=True)
    assert loaded.predict(["no gracias"]) == mini_model.predict(["no gracias"])
    monkeypatch.setenv("INTENT_TRUST_MODEL", "1")
    assert isinstance(load_model_file(path), IntentModel)
    meta = {"format": "intent-model", "versions": {"scikit-learn": "0.24.2"}, "model_sha256": ""}
    from intent.model_io import sha256_of

    meta["model_sha256"] = sha256_of(path)
    metadata_path(path).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelLoadError, match=r"scikit-learn 0\.24\.2"):
        load_model_file(path)


def test_a_newer_format_is_refused_by_name(mini_model_path: Path, tmp_path: Path) -> None:
    import pickle

    payload = pickle.loads(mini_model_path.read_bytes())
    payload["format_version"] = 99
    path = tmp_path / "future.joblib"
    joblib.dump(payload, path)
    with pytest.raises(ModelLoadError, match="format 99"):
        load_model_file(path, trust=True)  # trusted: it has no .json


def test_save_leaves_no_temporary_files(mini_model: IntentModel, tmp_path: Path) -> None:
    save_model(mini_model, tmp_path / "m.joblib")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.joblib", "m.json"]


def model_without_json(mini_model_path: Path, tmp_path: Path) -> Path:
    path = tmp_path / "bare.joblib"
    shutil.copy(mini_model_path, path)
    return path


def test_a_model_without_its_json_is_refused_unless_trusted(
    mini_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17, item 11: a model without its .json was loaded with no check at all."""
    monkeypatch.delenv(TRUST_MODEL_ENV_VAR, raising=False)
    path = model_without_json(mini_model_path, tmp_path)
    with pytest.raises(ModelLoadError, match=r"no bare\.json.*cannot be checked.*--trust-model.*INTENT_TRUST_MODEL=1"):
        load_model_file(path)
    assert load_model_file(path, trust=True).predict("no gracias")
    monkeypatch.setenv(TRUST_MODEL_ENV_VAR, "1")
    assert load_model_file(path).predict("no gracias")


def test_load_model_honours_the_environment(
    mini_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from intent.api import load_model

    monkeypatch.delenv(TRUST_MODEL_ENV_VAR, raising=False)
    path = model_without_json(mini_model_path, tmp_path)
    with pytest.raises(ModelLoadError, match=r"no bare\.json"):
        load_model(path)
    monkeypatch.setenv(TRUST_MODEL_ENV_VAR, "1")
    assert load_model(path).predict("no gracias")


@pytest.mark.parametrize("command", ["predict", "explain"])
def test_cli_trust_model_flag(
    mini_model_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    from intent.cli import main

    monkeypatch.setenv(TRUST_MODEL_ENV_VAR, "0")  # restored after the test: --trust-model sets it
    path = model_without_json(mini_model_path, tmp_path)
    assert main([command, "no gracias", "--model", str(path)]) == 2
    err = capsys.readouterr().err
    assert "--trust-model" in err and "Traceback" not in err
    assert main([command, "no gracias", "--model", str(path), "--trust-model"]) == 0


@pytest.mark.parametrize("command", ["classify", "evaluate", "review", "serve"])
def test_every_command_with_model_takes_trust_model(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    from intent.cli import main

    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "--trust-model" in capsys.readouterr().out


def test_saved_files_get_the_usual_mode(mini_model: IntentModel, tmp_path: Path) -> None:
    """Should fix: outputs respect the umask rather than being forced private (0600)."""
    import os

    old = os.umask(0o022)
    try:
        save_model(mini_model, tmp_path / "m.joblib")
    finally:
        os.umask(old)
    assert (tmp_path / "m.joblib").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "m.json").stat().st_mode & 0o777 == 0o644

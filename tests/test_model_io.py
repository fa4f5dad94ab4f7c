from __future__ import annotations

import json
import shutil
from pathlib import Path

import joblib
import pytest

from intent.errors import ModelLoadError
from intent.model import IntentModel
from intent.model_io import load_model_file, metadata_path, save_model


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
    with pytest.raises(ModelLoadError, match="make train"):
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
        load_model_file(path)


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
        load_model_file(path)


def test_incompatible_sklearn_version(mini_model_path: Path, tmp_path: Path) -> None:
    path = copy_model(mini_model_path, tmp_path)
    meta_file = metadata_path(path)
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    meta["versions"] = {"scikit-learn": "0.24.2"}
    meta_file.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelLoadError, match=r"scikit-learn 0\.24\.2"):
        load_model_file(path)


def test_save_leaves_no_temporary_files(mini_model: IntentModel, tmp_path: Path) -> None:
    save_model(mini_model, tmp_path / "m.joblib")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.joblib", "m.json"]

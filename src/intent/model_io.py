"""Saving and loading models safely: atomic writes, a checksum beside the file, clear errors.

A model is a joblib (pickle) file, and unpickling can run code: load only model files you
trust. The metadata file (same name, ``.json``) records the model's SHA-256, and loading
refuses a file that does not match it.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import joblib
import sklearn

from intent.config import retrain_hint
from intent.errors import ModelLoadError
from intent.model import IntentModel
from intent.text.nlp import get_nlp

FORMAT = "intent-model"
FORMAT_VERSION = 1


def metadata_path(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write through a temporary file in the same folder, then rename: never a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(model: IntentModel, path: str | Path) -> dict[str, Any]:
    """Write the model and its metadata (with the model's SHA-256); return the metadata."""
    path = Path(path)
    _atomic_write(path, lambda fh: joblib.dump(model, fh, compress=3))
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **model.metadata,
        "threshold": model.threshold,
        "model_file": path.name,
        "model_sha256": sha256_of(path),
        "model_bytes": path.stat().st_size,
    }
    _atomic_write(
        metadata_path(path),
        lambda fh: fh.write((json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode("utf-8")),
    )
    return meta


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def read_metadata(path: str | Path) -> dict[str, Any] | None:
    """The model's metadata, or None when the file has none beside it."""
    meta_file = metadata_path(Path(path))
    if not meta_file.exists():
        return None
    try:
        data = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"The model metadata {meta_file} is unreadable ({exc}). {retrain_hint()}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelLoadError(f"{meta_file} is not an intent model's metadata. {retrain_hint()}")
    return data


def load_model_file(path: str | Path) -> IntentModel:
    """Load and verify a model file; every failure is a `ModelLoadError` saying what to do."""
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"No model file at {path}. {retrain_hint()}")
    if path.stat().st_size == 0:
        raise ModelLoadError(f"The model file {path} is empty (0 bytes). {retrain_hint()}")
    meta = read_metadata(path)
    if meta is not None:
        if meta.get("model_sha256") != sha256_of(path):
            raise ModelLoadError(
                f"The model file {path} does not match the SHA-256 recorded in "
                f"{metadata_path(path).name}: it was changed or damaged. Refusing to load it. "
                f"{retrain_hint()}"
            )
        trained_with = str(meta.get("versions", {}).get("scikit-learn", ""))
        if trained_with and _minor(trained_with) != _minor(sklearn.__version__):
            raise ModelLoadError(
                f"The model {path} was saved with scikit-learn {trained_with}, but "
                f"{sklearn.__version__} is installed; they are not compatible. {retrain_hint()}"
            )
    with warnings.catch_warnings():
        # Same major.minor was checked above; patch-level pickles load fine.
        warnings.filterwarnings("ignore", category=sklearn.exceptions.InconsistentVersionWarning)
        try:
            model = joblib.load(path)
        except (
            EOFError,
            pickle.UnpicklingError,
            ValueError,
            KeyError,
            IndexError,
            TypeError,
            AttributeError,
            ImportError,
            zlib.error,
            OSError,
        ) as exc:
            raise ModelLoadError(
                f"{path} could not be read as an intent model ({type(exc).__name__}): it is "
                f"truncated, damaged, or not a model file. {retrain_hint()}"
            ) from exc
    if not isinstance(model, IntentModel):
        raise ModelLoadError(f"{path} holds a {type(model).__name__}, not an intent model. {retrain_hint()}")
    get_nlp(model.spacy_model)  # rebuild spaCy now, so a missing pipeline fails at load
    return model

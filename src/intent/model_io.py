"""Saving and loading models: arrays in a joblib file that loads without running code.

A pickle of Python objects runs code when it is loaded: a model file from the wrong place
could do anything. So an intent model is not a pickle of its estimators. It is a joblib file
holding only plain data — dicts, lists, strings, numbers and the learned arrays as bytes —
read back by an unpickler that refuses every class or function a file could name. The
estimators are rebuilt from that data: the spaCy pipeline from its name, the features from
their vocabulary keys and idf, the classifier from its weights (`intent.linear`).

Beside the model, a ``.json`` file (same name) records the training metadata and the model's
SHA-256: loading refuses a file that does not match it. The checksum detects a damaged or
half-copied file; it does not prove who made it. A model without its ``.json`` cannot be
checked at all, so it is refused unless the user says they trust it (``--trust-model`` or
``INTENT_TRUST_MODEL=1``).

Files of the first format (a pickled `IntentModel`, format_version 1) run code on load and
are refused unless the user says they trust the file (``--trust-model`` or
``INTENT_TRUST_MODEL=1``).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from intent.config import TRUST_MODEL_ENV_VAR, give_usual_mode, retrain_hint
from intent.errors import ModelLoadError
from intent.model import IntentModel
from intent.text.lemmas import LemmaTable
from intent.text.ngrams import pack_strings

FORMAT = "intent-model"
FORMAT_VERSION = 2
#: Set to 1 to load a model file that has no .json beside it, or a first-format one (a pickle, which runs code).
TRUST_ENV_VAR = TRUST_MODEL_ENV_VAR


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
        give_usual_mode(tmp)  # an ordinary file of the user's, not the temporary file's 0600
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _plain(value: Any) -> Any:
    """``value`` as JSON-able builtins (numpy scalars and tuples included), so the file names no class."""
    return json.loads(json.dumps(value, default=lambda v: v.item() if hasattr(v, "item") else str(v)))


def _packed(array: np.ndarray) -> dict[str, Any]:
    # Raw bytes, not compressed: a loaded array is then a view of the bytes just read, with no
    # second copy (compression saved little on single-precision weights and cost memory at load).
    array = np.ascontiguousarray(array)
    return {"dtype": array.dtype.str, "shape": list(array.shape), "data": array.tobytes()}


def _unpacked(item: dict[str, Any]) -> np.ndarray:
    dtype = np.dtype(item["dtype"])
    if dtype.hasobject:
        raise ModelLoadError("the model file holds an object array, which a model never does")
    return np.frombuffer(item["data"], dtype=dtype).reshape(item["shape"])


def to_payload(model: IntentModel) -> dict[str, Any]:
    """The model as plain data and arrays (what `save_model` writes)."""
    from intent.linear import LinearProbabilities

    pre, features, classifier = (model.steps[s] for s in ("preprocess", "features", "classifier"))
    if not isinstance(classifier, LinearProbabilities):
        raise TypeError(f"only LinearProbabilities classifiers can be saved, not {type(classifier).__name__}")
    arrays: dict[str, np.ndarray] = {}
    branches = []
    for name, table in features.tables_.items():
        branches.append({"name": name, "analyzer": table.analyzer, "ngram_range": list(table.ngram_range)})
        arrays[f"{name}.keys"] = table.keys
        arrays[f"{name}.columns"] = table.columns
        arrays[f"{name}.idf"] = table.idf
        arrays[f"{name}.names"] = pack_strings(features.feature_names(name))
    members = []
    for i, member in enumerate(classifier.members_):
        members.append({"link": member.link, "weight": member.weight})
        arrays[f"member{i}.by_feature"] = member.by_feature
        arrays[f"member{i}.intercept"] = member.intercept
        if member.a is not None and member.b is not None:
            arrays[f"member{i}.a"] = member.a
            arrays[f"member{i}.b"] = member.b
    tokens = {t for n in features.feature_names("words") for t in n.split(" ")}
    tokens |= {n[2:] for n in features.feature_names("struct")}
    lemmas = pre.lemma_subset(tokens)
    if lemmas is not None:
        arrays.update({f"lemmas.{name}": array for name, array in lemmas.arrays().items()})
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "labels": list(model.labels),
        "threshold": float(model.threshold),
        "metadata": _plain(model.metadata),
        "preprocess": _plain(pre.get_params()),
        "features": {**_plain(features.get_params()), "branches": branches},
        "classifier": {"classes": [str(c) for c in classifier.classes_], "members": members},
        "arrays": {name: _packed(a) for name, a in arrays.items()},
    }


def from_payload(payload: dict[str, Any]) -> IntentModel:
    """Rebuild the model from what `to_payload` made."""
    from intent.linear import LinearProbabilities, Member
    from intent.text.features import TextFeatures
    from intent.text.ngrams import TfidfTable
    from intent.text.preprocess import SpacyPreprocessor

    arrays = {name: _unpacked(item) for name, item in payload["arrays"].items()}
    pre = SpacyPreprocessor(**payload["preprocess"])
    if "lemmas.keys" in arrays:
        pre.lemmas_ = LemmaTable.from_arrays(arrays["lemmas.keys"], arrays["lemmas.which"], arrays["lemmas.lemmas"])
    params = {k: v for k, v in payload["features"].items() if k != "branches"}
    for key in ("word_ngram_range", "char_ngram_range", "weights"):
        params[key] = tuple(params[key])
    features = TextFeatures(**params)
    features.tables_, features.names_ = {}, {}
    for branch in payload["features"]["branches"]:
        name = branch["name"]
        features.tables_[name] = TfidfTable(
            analyzer=branch["analyzer"],
            ngram_range=tuple(branch["ngram_range"]),
            keys=arrays[f"{name}.keys"],
            columns=arrays[f"{name}.columns"],
            idf=arrays[f"{name}.idf"],
        )
        features.names_[name] = arrays[f"{name}.names"]  # decoded when an explanation asks
    members = [
        Member(
            by_feature=arrays[f"member{i}.by_feature"],
            intercept=arrays[f"member{i}.intercept"],
            link=m["link"],
            a=arrays.get(f"member{i}.a"),
            b=arrays.get(f"member{i}.b"),
            weight=float(m["weight"]),
        )
        for i, m in enumerate(payload["classifier"]["members"])
    ]
    classifier = LinearProbabilities.from_arrays(np.array(payload["classifier"]["classes"]), members)
    steps = [("preprocess", pre), ("features", features), ("classifier", classifier)]
    return IntentModel(steps, threshold=float(payload["threshold"]), metadata=payload["metadata"])


def save_model(model: IntentModel, path: str | Path) -> dict[str, Any]:
    """Write the model and its metadata (with the model's SHA-256); return the metadata."""
    import joblib

    path = Path(path)
    payload = to_payload(model)
    _atomic_write(path, lambda fh: joblib.dump(payload, fh))
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **payload["metadata"],
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


class _DataOnly(pickle.Unpickler):
    """Unpickles plain data only: any class or function named by the file is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"the file names {module}.{name}")


def trusted() -> bool:
    """Whether the user said they trust model files that cannot be checked (no .json, or the first format)."""
    return os.environ.get(TRUST_ENV_VAR, "").strip().lower() in ("1", "true", "yes")


def check_model_file(path: str | Path, trust: bool = False) -> dict[str, Any] | None:
    """What is checked before a model file is read: it exists, it has its .json, and it matches the SHA-256 there.

    Returns the metadata; None for a model without a .json that the user trusts (``trust``, or
    `INTENT_TRUST_MODEL`). Every failure is a `ModelLoadError` saying what to do.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"No model file at {path}. {retrain_hint()}")
    if path.stat().st_size == 0:
        raise ModelLoadError(f"The model file {path} is empty (0 bytes). {retrain_hint()}")
    meta = read_metadata(path)
    if meta is None:
        if trust or trusted():
            return None
        raise ModelLoadError(
            f"The model file {path} has no {metadata_path(path).name} beside it, so it cannot be checked. Refusing "
            f"to load it. Fix: put the model's .json beside it, or, if you trust the file, pass --trust-model (or "
            f"set {TRUST_ENV_VAR}=1)."
        )
    if meta.get("model_sha256") != sha256_of(path):
        raise ModelLoadError(
            f"The model file {path} does not match the SHA-256 recorded in {metadata_path(path).name}: it was "
            f"changed or damaged. Refusing to load it. {retrain_hint()}"
        )
    return meta


def load_model_file(path: str | Path, trust: bool = False) -> IntentModel:
    """Load and verify a model file; every failure is a `ModelLoadError` saying what to do.

    ``trust`` (or `INTENT_TRUST_MODEL`): load a file without its .json, or of the first format.
    """
    path = Path(path)
    meta = check_model_file(path, trust)
    try:
        with path.open("rb") as fh:
            payload = _DataOnly(fh).load()
    except pickle.UnpicklingError as exc:
        if "the file names" in str(exc):
            return _load_first_format(path, meta, trust or trusted(), str(exc))
        raise ModelLoadError(
            f"{path} could not be read as an intent model: it is truncated, damaged, or not a model file. "
            f"{retrain_hint()}"
        ) from exc
    except (EOFError, ValueError, IndexError, TypeError, KeyError, MemoryError, OverflowError) as exc:
        raise ModelLoadError(
            f"{path} could not be read as an intent model ({type(exc).__name__}): it is truncated, damaged, or not a "
            f"model file. {retrain_hint()}"
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelLoadError(f"{path} is not an intent model. {retrain_hint()}")
    if payload.get("format_version") != FORMAT_VERSION:
        raise ModelLoadError(
            f"{path} is an intent model of format {payload.get('format_version')}; this installation reads format "
            f"{FORMAT_VERSION}. {retrain_hint()}"
        )
    try:
        model = from_payload(payload)
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelLoadError(
            f"{path} is an incomplete or damaged intent model ({type(exc).__name__}). {retrain_hint()}"
        ) from exc
    _check_pipeline(model)
    return model


def _load_first_format(path: Path, meta: dict[str, Any] | None, trust: bool, why: str) -> IntentModel:
    """A model saved by intent 0.1 (a pickled `IntentModel`): it runs code on load."""
    if not trust:
        raise ModelLoadError(
            f"{path} is a model in the first intent format, a pickle that runs code when loaded ({why}). Refusing to "
            f"load it. {retrain_hint()} If you made this file yourself, you may load it with --trust-model (or "
            f"{TRUST_ENV_VAR}=1)."
        )
    import warnings

    import joblib
    import sklearn

    trained_with = str((meta or {}).get("versions", {}).get("scikit-learn", ""))
    if trained_with and trained_with.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        raise ModelLoadError(
            f"The model {path} was saved with scikit-learn {trained_with}, but {sklearn.__version__} is installed; "
            f"they are not compatible. {retrain_hint()}"
        )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=sklearn.exceptions.InconsistentVersionWarning)
        try:
            model = joblib.load(path)
        except Exception as exc:  # unpickling raises anything; all of it means "cannot use this file"
            raise ModelLoadError(
                f"{path} could not be read as an intent model ({type(exc).__name__}). {retrain_hint()}"
            ) from exc
    if not isinstance(model, IntentModel):
        raise ModelLoadError(f"{path} holds a {type(model).__name__}, not an intent model. {retrain_hint()}")
    _check_pipeline(model)
    return model


def _check_pipeline(model: IntentModel) -> None:
    """Build the spaCy pipeline now, so a missing one fails at load, not at the first message."""
    from intent.text.nlp import get_nlp, get_tokenizer

    pre = model.steps["preprocess"]
    if getattr(pre, "lemmas_", None) is not None:
        get_tokenizer(pre.spacy_model)
    else:
        get_nlp(pre.spacy_model)

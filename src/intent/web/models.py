"""The model the server answers with: the one it was started with, or a personal model chosen on the page."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intent import __version__
from intent.api import load_model
from intent.config import CHECKOUT_MODEL_PATH, PACKAGED_MODEL_PATH
from intent.model import IntentModel
from intent.model_io import read_metadata

#: What kind of model is in use, for people: the one shipped with intent, one trained from the page's
#: corrections, or another (trained with `intent train --data`, say).
KINDS = ("shipped", "personal", "custom")


def kind_of(path: Path, metadata: dict[str, Any]) -> str:
    if "personal" in metadata:
        return "personal"
    shipped = {p.resolve() for p in (PACKAGED_MODEL_PATH, CHECKOUT_MODEL_PATH)}
    return "shipped" if path.resolve() in shipped else "custom"


@dataclass(frozen=True)
class ServedModel:
    """A loaded model, its file and metadata."""

    path: Path
    model: IntentModel
    metadata: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> ServedModel:
        resolved = path.resolve()
        model = load_model(resolved)  # a bad model fails here, with a message that says what to do
        return cls(resolved, model, read_metadata(resolved) or {})

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", self.path.stem))

    @property
    def kind(self) -> str:
        return kind_of(self.path, self.metadata)

    def info(self, default: bool) -> dict[str, Any]:
        """As /api/health describes it (``default``: it is the one the server was started with)."""
        return {
            "name": self.name,
            "version": str(self.metadata.get("versions", {}).get("intent", __version__)),
            "trained_at": self.metadata.get("trained_at"),
            "sha256": self.metadata.get("model_sha256"),
            "threshold": self.model.threshold,
            "kind": self.kind,
            "path": str(self.path),
            "default": default,
        }


class ModelSlot:
    """The model in use; `use` swaps it for every later request (those running keep the one they started with)."""

    def __init__(self, path: Path) -> None:
        self.default = ServedModel.load(path)
        self._current = self.default
        self._lock = threading.Lock()

    @property
    def current(self) -> ServedModel:
        return self._current

    def use(self, path: Path | None) -> ServedModel:
        """Use the model at PATH (None: the one the server was started with)."""
        served = self.default if path is None or path.resolve() == self.default.path else ServedModel.load(path)
        with self._lock:
            self._current = served
        return served

    def info(self) -> dict[str, Any]:
        current = self._current
        return current.info(default=current is self.default)

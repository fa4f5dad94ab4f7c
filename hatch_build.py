"""Build hook: ship the trained model inside regular wheels, so `pip install .` gives a working
`predict()`. Editable installs read it from models/ in the checkout instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MODEL_FILES = ("intent-es.joblib", "intent-es.json")


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        for name in MODEL_FILES:
            path = Path(self.root) / "models" / name
            if path.is_file():
                build_data["force_include"][str(path)] = f"intent/_model/{name}"

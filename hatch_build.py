"""Build hook: ship the trained model and the corpus inside regular wheels, so after `pip install .`
`predict()` works and `intent train --data …` / `intent evaluate` find the shipped data.
Editable installs read them from models/ and data/ in the checkout instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: (folder in the checkout, file names, folder inside the package)
SHIPPED = (
    ("models", ("intent-es.joblib", "intent-es.json"), "intent/_model"),
    ("data", ("train.csv", "test.csv", "challenge.csv"), "intent/_data"),
)


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        for folder, names, target in SHIPPED:
            for name in names:
                path = Path(self.root) / folder / name
                if path.is_file():
                    build_data["force_include"][str(path)] = f"{target}/{name}"

"""Optional dependencies: import one, or say in one line which `pip install` brings it.

The base install carries what `predict()`, `intent classify` and `intent train` need; the web
page, report images, Parquet input and Dask are extras (see pyproject.toml).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Final

from intent.errors import MissingExtraError

#: What each extra is for, as the error says it.
EXTRAS: Final[dict[str, str]] = {
    "web": "`intent serve` (the web page and its API)",
    "report": "report images (confusion matrix, reliability diagram)",
    "parquet": "Parquet input",
    "dask": "--engine dask",
}


def install_hint(extra: str) -> str:
    return f"pip install 'intent[{extra}]'"


def require(module: str, extra: str) -> ModuleType:
    """``module`` imported, or a `MissingExtraError` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{EXTRAS[extra]} needs {exc.name or module}, which is not installed. Fix: {install_hint(extra)}",
            extra,
        ) from exc


def available(module: str) -> bool:
    """True when ``module`` can be imported (for features that are skipped, not refused, without it)."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True

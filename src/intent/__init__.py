"""intent: what does the sender of a Spanish LinkedIn message want?

>>> from intent import predict
>>> predict("Hola, ¿tienes 15 minutos para una demo de nuestro CRM?")  # doctest: +SKIP
'spam_sales'
>>> from intent import classify_conversations
>>> [c.intent for c in classify_conversations("Basic_LinkedInDataExport.zip")]  # doctest: +SKIP
['genuine_networking', 'spam_sales', ...]

The public names are loaded on first use (PEP 562), so tools that only read and write files
(the batch reader, worker start-up) do not pay for importing spaCy and scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from intent.config import LABELS
from intent.errors import DataError, IntentError, ModelLoadError

if TYPE_CHECKING:
    from intent.api import classify, explain, load_model, predict, predict_proba
    from intent.io.batch import classify_conversations
    from intent.io.conversations import Conversation
    from intent.model import IntentModel, Prediction

__all__ = [
    "LABELS",
    "Conversation",
    "DataError",
    "IntentError",
    "IntentModel",
    "ModelLoadError",
    "Prediction",
    "classify",
    "classify_conversations",
    "explain",
    "load_model",
    "predict",
    "predict_proba",
]

__version__ = "0.1.0"

_LAZY = {
    "classify": "intent.api",
    "classify_conversations": "intent.io.batch",
    "Conversation": "intent.io.conversations",
    "explain": "intent.api",
    "load_model": "intent.api",
    "predict": "intent.api",
    "predict_proba": "intent.api",
    "IntentModel": "intent.model",
    "Prediction": "intent.model",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'intent' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

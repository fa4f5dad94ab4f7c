"""intent: what does the sender of a Spanish LinkedIn message want?

>>> from intent import predict
>>> predict("Hola, ¿tienes 15 minutos para una demo de nuestro CRM?")  # doctest: +SKIP
'spam_sales'
"""

from intent.api import classify, load_model, predict, predict_proba
from intent.config import LABELS
from intent.errors import DataError, IntentError, ModelLoadError
from intent.model import IntentModel, Prediction

__all__ = [
    "LABELS",
    "DataError",
    "IntentError",
    "IntentModel",
    "ModelLoadError",
    "Prediction",
    "classify",
    "load_model",
    "predict",
    "predict_proba",
]

__version__ = "0.1.0"

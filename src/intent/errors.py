"""Errors a user can cause: each says what is wrong and how to fix it.

The CLI prints these as one message, without a traceback; anything else is a bug and fails loudly.
"""

from __future__ import annotations


class IntentError(Exception):
    """Base class for user-facing errors."""


class ModelLoadError(IntentError):
    """A model file (or the spaCy pipeline it needs) is missing, damaged or incompatible."""


class DataError(IntentError, ValueError):
    """Input data is unusable: a bad file, a missing column, an unknown label."""


class ColumnError(DataError):
    """The text column cannot be told from the header; ``columns`` lists the choices."""

    def __init__(self, message: str, columns: list[str]):
        super().__init__(message)
        self.columns = columns


class MissingExtraError(IntentError):
    """An optional dependency is not installed; the message names the `pip install` that brings it."""

    def __init__(self, message: str, extra: str):
        super().__init__(message)
        self.extra = extra


class Terminated(KeyboardInterrupt):
    """SIGTERM: cleaned up like Ctrl-C (no half-written output), but the command exits 143, not 130."""

"""Errors a user can cause: each says what is wrong and how to fix it.

The CLI prints these as one message, without a traceback; anything else is a bug and fails loudly.
"""

from __future__ import annotations


class IntentError(Exception):
    """Base class for user-facing errors."""


class ModelLoadError(IntentError):
    """A model file (or the spaCy pipeline it needs) is missing, damaged or incompatible."""


class DataError(IntentError, ValueError):
    """Input data is unusable: a bad file, a missing column, an unknown label.

    ``code`` names the kind of problem in a stable word (the web API answers it beside the message, and the
    page shows its own Spanish sentence for it): ``bad_input`` unless a raise site says better.
    """

    code: str = "bad_input"

    def __init__(self, message: str = "", code: str | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code


class ColumnError(DataError):
    """The text column cannot be told from the header; ``columns`` lists the choices."""

    code = "text_column"

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

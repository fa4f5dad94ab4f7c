"""Errors as a web user reads them: the shared reader's advice names command-line flags, which the
page and the API do not have, so it is said in their terms instead."""

from __future__ import annotations

import re

#: (pattern in a message written for the command line, what the page and the API offer instead)
_WEB_ADVICE = (
    (
        re.compile(r"Fix: repair that row, or pass --on-bad-lines skip.*$"),
        "Fix: repair that row and upload the file again (or classify it with `intent classify --on-bad-lines "
        "skip`, which skips malformed rows and counts them).",
    ),
    (re.compile(r"pass one of them to --text-column\."), "choose one of them as the text column."),
    (re.compile(r"name the text column with --text-column NAME\."), "choose which column holds the text."),
)


def for_web(message: str) -> str:
    """``message`` with advice about command-line flags replaced by what the page and API offer."""
    for pattern, replacement in _WEB_ADVICE:
        message = pattern.sub(replacement, message)
    return message

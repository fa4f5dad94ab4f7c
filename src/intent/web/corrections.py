"""The labels a user corrects on the page: per message, or per conversation.

Corrections live in their job, in memory, as row numbers and conversation ids with a label
(no text): they go when the file is forgotten and never reach a log. The text is read from
the job's rows when a correction is used: to train a personal model, or in the CSV download
(``text,label``, what `intent train --data` reads).

**A conversation's correction is one example, not a label for each of its messages.** It says
what the other party wants from the thread as a whole, and the model learns it from their
messages joined in order. Labeling each message instead would teach the model that a
salesperson's opener ("gracias por conectar, me encantó tu perfil") is itself a pitch, the
mistake the conversation rule exists to avoid. To correct one message of a thread, correct
that message.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from intent.config import LABELS
from intent.errors import DataError
from intent.io.csv_io import CsvWriter
from intent.io.owner import name_key
from intent.learn.personal import Example

#: How a conversation's messages are joined into one example.
JOINER = "\n\n"


class CorrectionError(DataError):
    """A correction that cannot be made (no such row, nothing to learn from)."""


@dataclass(frozen=True)
class Target:
    """What a correction is about: a message (``row``, its position in the file) or a conversation (``id``)."""

    kind: str  # "row" | "conversation"
    key: int | str


class Corrections:
    """A job's corrections, in the order they were last set (the last label given to a text wins)."""

    def __init__(self) -> None:
        self._labels: OrderedDict[Target, str] = OrderedDict()
        self._lock = threading.Lock()

    def set(self, target: Target, label: str | None) -> None:
        """Set the right label of TARGET, or clear it (None)."""
        if label is not None and label not in LABELS:
            raise CorrectionError(f"unknown label {label!r}; use one of {', '.join(LABELS)}.")
        with self._lock:
            self._labels.pop(target, None)
            if label is not None:
                self._labels[target] = label

    def clear(self) -> None:
        with self._lock:
            self._labels.clear()

    def items(self) -> list[tuple[Target, str]]:
        with self._lock:
            return list(self._labels.items())

    def __len__(self) -> int:
        return len(self._labels)

    def state(self) -> dict[str, Any]:
        """JSON-ready, without text: the count and each corrected row and conversation with its label."""
        items = self.items()
        return {
            "count": len(items),
            "rows": {str(t.key): label for t, label in items if t.kind == "row"},
            "conversations": {str(t.key): label for t, label in items if t.kind == "conversation"},
        }


@dataclass(frozen=True)
class Source:
    """Where corrections read their text: a row by number, a conversation's incoming rows by id."""

    row: Callable[[int], dict[str, Any] | None]
    conversation_rows: Callable[[str], tuple[list[int], list[str]] | None]  # (incoming rows, other party)


def check_target(target: Target, source: Source) -> None:
    """Refuse a correction of something that does not exist or has no text to learn from."""
    if target.kind == "row":
        assert isinstance(target.key, int)
        row = source.row(target.key)
        if row is None:
            raise CorrectionError(f"there is no row {target.key} in this file.")
        if row.get("intent") is None:
            raise CorrectionError(f"row {target.key} has no text, so there is nothing to learn from it.")
        return
    found = source.conversation_rows(str(target.key))
    if found is None:
        raise CorrectionError(f"there is no conversation {target.key!r} in this file.")
    if not _texts(found[0], source):
        raise CorrectionError(
            f"in conversation {target.key!r} the other party wrote nothing to learn from (only you wrote, or an "
            "invitation without a note)."
        )


def _texts(rows: list[int], source: Source) -> list[str]:
    out = []
    for n in rows:
        row = source.row(n)
        if row is not None and row.get("intent") is not None and row.get("text"):
            out.append(str(row["text"]))
    return out


def examples(corrections: Corrections, source: Source) -> list[Example]:
    """The corrections as training examples; a text corrected twice counts once, with its last label."""
    by_text: dict[str, Example] = {}
    for target, label in corrections.items():
        if target.kind == "row":
            assert isinstance(target.key, int)
            row = source.row(target.key)
            if row is None or row.get("intent") is None:
                continue
            text, who = str(row["text"]), name_key(str(row.get("sender") or ""))
            group = who or f"row {target.key}"
        else:
            found = source.conversation_rows(str(target.key))
            if found is None:
                continue
            text = JOINER.join(_texts(found[0], source))
            group = "; ".join(sorted(name_key(p) for p in found[1])) or f"conversation {target.key}"
        if text.strip():
            by_text.pop(text, None)
            by_text[text] = Example(text, label, group)
    return list(by_text.values())


def corrections_csv(items: list[Example]) -> bytes:
    """``text,label``: a file `intent train --data` reads as is (cells escaped for spreadsheets, like every
    CSV intent writes)."""
    out = io.StringIO(newline="")
    writer = CsvWriter(out)
    writer.writerow(["text", "label"])
    for e in items:
        writer.writerow([e.text, e.label])
    return out.getvalue().encode("utf-8")

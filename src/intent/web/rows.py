"""What the page shows of a classified row: sender, date, month, text and the prediction.

LinkedIn's files name their sender and date columns ``FROM``/``DATE`` (messages.csv) and
``From``/``Sent At`` (Invitations.csv); other CSVs use a few common names. A date becomes a
month (``2026-10``) for the chart and a Spanish-ordered date for the table when its format can be read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from intent.io.batch import Result
from intent.text.normalize import repair

SENDER_COLUMNS: Final = ("from", "sender", "remitente", "de", "autor", "author", "nombre", "name")
DATE_COLUMNS: Final = ("date", "sent at", "fecha", "sent_at", "timestamp", "created at", "fecha de envío")

_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2})(?:[ T](\d{1,2}):(\d{2}))?)?")
_SLASHED = re.compile(
    r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?!\d)(?:,?\s+(\d{1,2}):(\d{2})(?::\d{2})?\s*([ap])?\.?\s?(m)?)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class When:
    year: int
    month: int
    day: int | None = None
    time: str | None = None  # "HH:MM"

    @property
    def month_key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def display(self) -> str:
        """Spanish order: 02/10/2026 09:14."""
        if self.day is None:
            return f"{self.month:02d}/{self.year:04d}"
        return f"{self.day:02d}/{self.month:02d}/{self.year:04d}" + (f" {self.time}" if self.time else "")


def parse_date(value: str) -> When | None:
    """Read ``2026-10-02 09:14:51 UTC`` (messages.csv), ``10/1/26, 8:10 AM`` (Invitations.csv) and the like.

    Slashed dates are read day-first (the Spanish habit) unless they carry AM/PM, as LinkedIn's
    invitations do, or only one reading is possible. None when the value is not a date we can read.
    """
    time: str | None = None
    if m := _ISO.match(value):
        year, month, day = int(m[1]), int(m[2]), int(m[3]) if m[3] else None
        if m[4]:
            time = f"{int(m[4]):02d}:{m[5]}"
    elif m := _SLASHED.match(value):
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        year += 2000 if year < 100 else 0
        us_style = bool(m[6] and m[7])
        month, day = (b, a) if a > 12 else (a, b) if b > 12 or us_style else (b, a)
        if m[4]:
            hour = int(m[4])
            if us_style:
                hour = hour % 12 + (12 if m[6].lower() == "p" else 0)
            time = f"{hour:02d}:{m[5]}"
    else:
        return None
    if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    return When(year, month, day, time)


def month_of(value: str) -> str | None:
    """``YYYY-MM`` of a date, for the chart; None if unreadable."""
    when = parse_date(value)
    return when.month_key if when else None


class ColumnPicker:
    """Finds the sender and date columns of rows with a given set of keys (cached per key set)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, ...], tuple[str | None, str | None]] = {}

    def __call__(self, values: dict[str, str]) -> tuple[str | None, str | None]:
        keys = tuple(values)
        found = self._cache.get(keys)
        if found is None:
            by_lower = {k.strip().lower(): k for k in keys}
            sender = next((by_lower[c] for c in SENDER_COLUMNS if c in by_lower), None)
            date = next((by_lower[c] for c in DATE_COLUMNS if c in by_lower), None)
            found = self._cache[keys] = (sender, date)
        return found


def display_row(
    n: int, source: str, text: str, values: dict[str, str], result: Result, picker: ColumnPicker
) -> dict[str, Any]:
    """One row of the page's table (JSON-ready)."""
    label, confidence, uncertain, probs, status, language = result
    sender_col, date_col = picker(values)
    date = values.get(date_col, "").strip() if date_col else ""
    when = parse_date(date) if date else None
    return {
        "n": n,
        "source": source,
        "sender": values.get(sender_col, "").strip() if sender_col else "",
        "date": date,
        "when": when.display() if when else None,
        "month": when.month_key if when else None,
        "text": repair(text),  # shown as the model reads it: no <br>, no mojibake
        "intent": label,
        "confidence": None if confidence is None else round(confidence, 4),
        "uncertain": uncertain,
        "probabilities": None if probs is None else [round(p, 4) for p in probs],
        "status": status,
        "language": language,
    }

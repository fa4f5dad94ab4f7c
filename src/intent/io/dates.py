"""Dates as LinkedIn's files and spreadsheets write them, read into one shape.

``messages.csv`` writes ``2026-10-02 09:14:51 UTC``, ``Invitations.csv`` writes
``10/1/26, 8:10 AM``, and people's own CSVs write ``02/10/2026``. The page shows them in
Spanish order, conversations are ordered by them and their first and last dates written as ISO.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?)?")
_SLASHED = re.compile(
    r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?!\d)(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap])?\.?\s?(m)?)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class When:
    year: int
    month: int
    day: int | None = None
    time: str | None = None  # "HH:MM"
    second: int = field(default=0, compare=False)  # for ordering messages sent in the same minute

    @property
    def month_key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def sort_key(self) -> int:
        """An integer that orders dates to the second: YYYYMMDD, then hour + 1 (0: no time), minute, second.

        One small int per message, not a tuple: a large export keeps one for each of its messages.
        """
        hour, minute = (int(self.time[:2]) + 1, int(self.time[3:])) if self.time else (0, 0)
        return ((((self.year * 100 + self.month) * 100 + (self.day or 0)) * 100 + hour) * 100 + minute) * 100 + (
            self.second
        )

    @staticmethod
    def iso_of(sort_key: int) -> str:
        """The ISO form of a `sort_key`: ``2026-10-02 09:14:51`` (or ``2026-10-02``, ``2026-10``)."""
        rest, second = divmod(sort_key, 100)
        rest, minute = divmod(rest, 100)
        rest, hour = divmod(rest, 100)
        rest, day = divmod(rest, 100)
        year, month = divmod(rest, 100)
        date = f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")
        return date + (f" {hour - 1:02d}:{minute:02d}:{second:02d}" if hour else "")

    def display(self) -> str:
        """Spanish order: 02/10/2026 09:14."""
        if self.day is None:
            return f"{self.month:02d}/{self.year:04d}"
        return f"{self.day:02d}/{self.month:02d}/{self.year:04d}" + (f" {self.time}" if self.time else "")

    def iso(self) -> str:
        """ISO 8601 order, which sorts as text in a spreadsheet: 2026-10-02 09:14:51."""
        if self.day is None:
            return self.month_key
        return f"{self.month_key}-{self.day:02d}" + (f" {self.time}:{self.second:02d}" if self.time else "")


def parse_date(value: str) -> When | None:
    """Read ``2026-10-02 09:14:51 UTC`` (messages.csv), ``10/1/26, 8:10 AM`` (Invitations.csv) and the like.

    Slashed dates are read day-first (the Spanish habit) unless they carry AM/PM, as LinkedIn's
    invitations do, or only one reading is possible. None when the value is not a date we can read.
    """
    time: str | None = None
    second = 0
    if m := _ISO.match(value):
        year, month, day = int(m[1]), int(m[2]), int(m[3]) if m[3] else None
        if m[4]:
            time = f"{int(m[4]):02d}:{m[5]}"
            second = int(m[6] or 0)
    elif m := _SLASHED.match(value):
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        year += 2000 if year < 100 else 0
        us_style = bool(m[7] and m[8])
        month, day = (b, a) if a > 12 else (a, b) if b > 12 or us_style else (b, a)
        if m[4]:
            hour = int(m[4])
            if us_style:
                hour = hour % 12 + (12 if m[7].lower() == "p" else 0)
            time = f"{hour:02d}:{m[5]}"
            second = int(m[6] or 0)
    else:
        return None
    if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    if time is not None and (int(time[:2]) > 23 or int(time[3:]) > 59 or second > 59):
        return None
    return When(year, month, day, time, second)


def month_of(value: str) -> str | None:
    """``YYYY-MM`` of a date, for the chart; None if unreadable."""
    when = parse_date(value)
    return when.month_key if when else None

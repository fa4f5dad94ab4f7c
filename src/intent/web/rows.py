"""What the page shows of a classified row (sender, date, month, text, prediction) and of a conversation.

LinkedIn's files name their sender and date columns ``FROM``/``DATE`` (messages.csv) and
``From``/``Sent At`` (Invitations.csv); other CSVs use a few common names. A date becomes a
month (``2026-10``) for the chart and a Spanish-ordered date for the table when its format can be read.
A row of LinkedIn's export also carries its conversation and direction, so the page can show threads.
"""

from __future__ import annotations

from typing import Any, Final

from intent.io.batch import Result
from intent.io.conversations import Conversation, Sender
from intent.io.dates import When, month_of, parse_date
from intent.io.owner import Thread
from intent.text.normalize import repair

__all__ = [
    "ColumnPicker",
    "When",
    "display_conversation",
    "display_row",
    "display_sender",
    "month_of",
    "parse_date",
]

SENDER_COLUMNS: Final = ("from", "sender", "remitente", "de", "autor", "author", "nombre", "name")
DATE_COLUMNS: Final = ("date", "sent at", "fecha", "sent_at", "timestamp", "created at", "fecha de envío")


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
    n: int,
    source: str,
    text: str,
    values: dict[str, str],
    result: Result,
    picker: ColumnPicker,
    thread: Thread | None = None,
) -> dict[str, Any]:
    """One row of the page's table (JSON-ready); ``thread``: its conversation, for an export's rows."""
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
        "at": _instant(when, utc="UTC" in date.upper() or thread is not None) if when else None,
        "month": when.month_key if when else None,
        "text": repair(text),  # shown as the model reads it: no <br>, no mojibake
        "intent": label,
        "confidence": None if confidence is None else round(confidence, 4),
        "uncertain": uncertain,
        "probabilities": None if probs is None else [round(p, 4) for p in probs],
        "status": status,
        "language": language,
        "conversation": thread.conversation_id if thread else None,
        "direction": thread.direction if thread else None,
        "draft": thread.draft if thread else False,
    }


def _instant(when: When, utc: bool) -> str:
    """ISO 8601 for the page, which shows it in the reader's own time zone: ``2026-10-02T09:14:51Z`` when the
    file's time is UTC (LinkedIn's export: messages.csv says so, and its invitations are written the same way),
    without the ``Z`` (a wall-clock time, shown as it is) otherwise; ``2026-10-02`` or ``2026-10`` without a time."""
    iso = when.iso()
    if " " not in iso:
        return iso
    return iso.replace(" ", "T") + ("Z" if utc else "")


def _at(iso: str | None) -> str | None:
    when = parse_date(iso) if iso else None
    return _instant(when, utc=True) if when else None  # a conversation is LinkedIn's export: UTC


def _display_date(iso: str | None) -> str | None:
    when = parse_date(iso) if iso else None
    return when.display() if when else None


def display_conversation(c: Conversation) -> dict[str, Any]:
    """One conversation for the page (JSON-ready); ``rows`` are its messages' ``n``, oldest first."""
    return {
        "id": c.conversation_id,
        "kind": c.kind,
        "other_party": list(c.other_party),
        "title": c.title,
        "first": _display_date(c.first_date),
        "last": _display_date(c.last_date),
        "last_date": c.last_date,
        "first_at": _at(c.first_date),
        "last_at": _at(c.last_date),
        "messages_in": c.messages_in,
        "messages_out": c.messages_out,
        "drafts": c.drafts,
        "intent": c.intent,
        "confidence": None if c.confidence is None else round(c.confidence, 4),
        "uncertain": c.uncertain,
        "last_from": c.last_from,
        "awaiting_reply": c.awaiting_reply,
        "status": c.status,
        "rule": c.rule,
        "rows": list(c.message_rows),
    }


def display_sender(s: Sender) -> dict[str, Any]:
    """One line of "Quién te escribe": a sender and their messages per intent."""
    return {"name": s.name, "counts": s.counts, "messages": s.messages, "conversations": s.conversations}

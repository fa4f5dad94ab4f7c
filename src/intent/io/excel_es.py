"""The CSV for Excel in Spanish: our columns and their values as a Spanish reader expects them.

Plain CSV and JSON Lines keep the stable machine names (``intent``, ``spam_sales``, ``true``,
``0.9731``) that programs read. The Excel file is for people: Spanish headers and values,
percentages with a decimal comma (Excel in Spanish reads ``0.9731`` in a ``;`` file as a
thousands figure). This module is the one table of those names; the message writer, the
conversation writer (`intent classify --excel`) and the page's download all translate through it.
Only our columns are translated: the input's own columns go out as they came.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Final

from intent.config import LABEL_NAMES_ES, LABELS
from intent.io.csv_io import CsvWriter
from intent.text.language import language_name

YES_NO: Final = {"true": "sí", "false": "no"}

#: Spanish headers of the columns intent adds (messages and conversations).
COLUMN_NAMES_ES: Final[Mapping[str, str]] = {
    "intent": "intención",
    "confidence": "confianza",
    "uncertain": "dudoso",
    **{f"proba_{label}": f"prob. {LABEL_NAMES_ES[label].lower()}" for label in LABELS},
    "status": "estado",
    "language": "idioma",
    "source_file": "archivo",
    "conversation_id": "id de la conversación",
    "direction": "dirección",
    "owner": "titular de la exportación",
    "kind": "tipo",
    "other_party": "otra persona",
    "other_party_profile": "perfil de la otra persona",
    "first_date": "primera fecha",
    "last_date": "última fecha",
    "messages_in": "mensajes recibidos",
    "messages_out": "mensajes enviados",
    "drafts": "borradores",
    "last_from": "último en escribir",
    "awaiting_reply": "espera tu respuesta",
    "rule": "regla",
    "title": "título",
}

#: Spanish values of the columns whose values are codes.
VALUE_NAMES_ES: Final[Mapping[str, Mapping[str, str]]] = {
    "intent": LABEL_NAMES_ES,
    "uncertain": YES_NO,
    "awaiting_reply": YES_NO,
    "status": {
        "ok": "correcto",
        "truncated": "muy largo: leído el principio",
        "empty": "sin texto",
        "no_message": "invitación sin nota",
        "other_language": "otro idioma",
        "no_text": "sin texto que clasificar",
        "no_incoming": "solo escribiste tú",
    },
    "direction": {"incoming": "recibido", "outgoing": "enviado", "unknown": "sin determinar"},
    "kind": {"conversation": "conversación", "invitation": "invitación"},
    "last_from": {"other_party": "la otra persona", "owner": "tú"},
    "rule": {
        "pitch": "una propuesta de venta decide",
        "pitch_then_genuine": "venta, luego solo networking",
        "recency": "lo más reciente pesa más",
    },
}

#: Probabilities, shown as percentages.
PERCENT_COLUMNS: Final = frozenset({"confidence", *(f"proba_{label}" for label in LABELS)})


def percent_es(value: str) -> str:
    """``0.9731`` -> ``97,31%`` (Excel in Spanish reads it as a percentage); blank stays blank."""
    if not value:
        return value
    return f"{float(value) * 100:.2f}".replace(".", ",") + "%"


def value_es(column: str, value: str) -> str:
    """One of our cells, as the Excel file shows it."""
    if column in PERCENT_COLUMNS:
        return percent_es(value)
    if column == "language":
        return language_name(value) if value else value
    return VALUE_NAMES_ES.get(column, {}).get(value, value)


class SpanishExcel:
    """Translates a table's header and rows; ``ours`` maps the positions of intent's columns to their names."""

    def __init__(self, ours: Mapping[int, str]):
        self.ours = dict(ours)

    def header(self, columns: Sequence[str]) -> list[str]:
        theirs = {c for i, c in enumerate(columns) if i not in self.ours}
        out = []
        for i, column in enumerate(columns):
            name = self.ours.get(i)
            spanish = COLUMN_NAMES_ES.get(name, column) if name else column
            out.append(f"{spanish} (intent)" if name and spanish in theirs else spanish)
        return out

    def row(self, cells: Sequence[str]) -> list[str]:
        return [value_es(self.ours[i], cell) if i in self.ours else cell for i, cell in enumerate(cells)]


def ours_in_header(columns: Sequence[str], table: str = "messages") -> dict[int, str]:
    """Which columns of a plain CSV that intent wrote are intent's: the conversation table is all ours; a
    message table ends with the prediction columns, after an export's thread columns (``_pred`` when the input
    already had that name)."""
    from intent.io.batch import PREDICTION_COLUMNS, SOURCE_COLUMN  # here: batch writes through this module
    from intent.io.conversations import CONVERSATION_COLUMNS, THREAD_COLUMNS

    def base(name: str) -> str:
        return name.removesuffix("_pred")

    if table == "conversations":
        return {i: c for i, c in enumerate(columns) if c in CONVERSATION_COLUMNS}
    ours: dict[int, str] = {}
    end = len(columns)
    for expected in (PREDICTION_COLUMNS, THREAD_COLUMNS):
        start = end - len(expected)
        if start < 0 or [base(c) for c in columns[start:end]] != list(expected):
            break
        ours.update({start + k: name for k, name in enumerate(expected)})
        end = start
    if columns and columns[0] == SOURCE_COLUMN and 0 not in ours:  # several files read: which one a row is from
        ours[0] = SOURCE_COLUMN
    return ours


def spanish_excel_csv(data: bytes, table: str = "messages") -> bytes:
    """A plain CSV as `intent classify` writes it, as the Excel file in Spanish: BOM, ``;``, CRLF, Spanish
    headers and values of intent's columns."""
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    out = io.StringIO(newline="")
    writer = CsvWriter(out, delimiter=";", lineterminator="\r\n")
    header = next(rows, None)
    if header is not None:
        spanish = SpanishExcel(ours_in_header(header, table))
        writer.writerow(spanish.header(header))
        for row in rows:
            writer.writerow(spanish.row(row))
    return out.getvalue().encode("utf-8-sig")

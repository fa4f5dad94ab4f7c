"""What the page's table shows of a row: sender and date columns found, dates read, text repaired."""

from __future__ import annotations

import pytest

from intent.web.rows import ColumnPicker, When, display_row, month_of, parse_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10-02 09:14:51 UTC", When(2026, 10, 2, "09:14")),  # LinkedIn messages.csv
        ("10/1/26, 8:10 AM", When(2026, 10, 1, "08:10")),  # LinkedIn Invitations.csv: month first
        ("10/13/26, 9:15 PM", When(2026, 10, 13, "21:15")),
        ("12/1/26, 12:05 AM", When(2026, 12, 1, "00:05")),
        ("25/12/2025", When(2025, 12, 25)),  # only one reading possible
        ("05/06/2025 14:30", When(2025, 6, 5, "14:30")),  # ambiguous, no AM/PM: day first
        ("2026-10", When(2026, 10)),
    ],
)
def test_parse_date_reads_linkedin_and_spanish_dates(value: str, expected: When) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["hola", "", "13/13/2026", "2026-13-01", "32/01/2026", "1234"])
def test_parse_date_gives_none_for_what_it_cannot_read(value: str) -> None:
    assert parse_date(value) is None


def test_display_and_month_key() -> None:
    assert When(2026, 10, 2, "09:14").display() == "02/10/2026 09:14"
    assert When(2026, 3).display() == "03/2026"
    assert month_of("10/1/26, 8:10 AM") == "2026-10"
    assert month_of("sin fecha") is None


def test_column_picker_finds_sender_and_date_in_any_case() -> None:
    pick = ColumnPicker()
    assert pick({"FROM": "a", "DATE": "b", "CONTENT": "c"}) == ("FROM", "DATE")
    assert pick({"From": "a", "Sent At": "b", "Message": "c"}) == ("From", "Sent At")
    assert pick({"Remitente": "a", "Fecha": "b", "texto": "c"}) == ("Remitente", "Fecha")
    assert pick({"texto": "c"}) == (None, None)


def test_display_row_repairs_the_text_and_reads_the_date() -> None:
    values = {"FROM": " Sofía ", "DATE": "2026-10-22 12:00:00 UTC", "CONTENT": "x"}
    result = ("genuine_networking", 0.91234567, False, (0.05, 0.91234567, 0.03765433), "ok", "es")
    row = display_row(3, "messages.csv", "Hola, quÃ© tal?<br><br>Seguimos", values, result, ColumnPicker())
    assert row["text"] == "Hola, qué tal?\n\nSeguimos"
    assert row["sender"] == "Sofía"
    assert (row["when"], row["month"]) == ("22/10/2026 12:00", "2026-10")
    assert row["confidence"] == 0.9123 and row["probabilities"] == [0.05, 0.9123, 0.0377]
    assert (row["n"], row["source"], row["intent"], row["status"]) == (3, "messages.csv", "genuine_networking", "ok")


def test_display_row_of_an_invitation_without_a_note() -> None:
    values = {"From": "Pablo", "Sent At": "sin fecha", "Message": ""}
    row = display_row(0, "Invitations.csv", "", values, (None, None, True, None, "no_message", ""), ColumnPicker())
    assert row["intent"] is None and row["probabilities"] is None and row["confidence"] is None
    assert row["when"] is None and row["month"] is None and row["date"] == "sin fecha"


def test_display_row_and_conversation_of_an_export() -> None:
    from intent.io.conversations import Conversation, Sender
    from intent.io.owner import MESSAGE_KIND, Person, Thread
    from intent.web.rows import display_conversation, display_sender

    thread = Thread("c1", MESSAGE_KIND, "outgoing", "Lucía", Person("Lucía"), (Person("Rodrigo"),), True, None, "")
    values = {"FROM": "Lucía", "DATE": "2026-10-02 11:40:03 UTC", "CONTENT": "x"}
    result = ("gatekeeping_rejection", 0.9, False, (0.05, 0.05, 0.9), "ok", "es")
    row = display_row(1, "messages.csv", "No, gracias", values, result, ColumnPicker(), thread)
    assert (row["conversation"], row["direction"], row["draft"]) == ("c1", "outgoing", True)
    c = Conversation(
        "c1",
        "conversation",
        ("Rodrigo",),
        (),
        "2026-10-02 09:14:51",
        "2026-10-02 11:40:03",
        1,
        1,
        0,
        "spam_sales",
        0.987654,
        False,
        None,
        "owner",
        False,
        "ok",
        "pitch",
        "",
        (0, 1),
    )
    shown = display_conversation(c)
    assert (shown["first"], shown["last"], shown["confidence"], shown["rows"]) == (
        "02/10/2026 09:14",
        "02/10/2026 11:40",
        0.9877,
        [0, 1],
    )
    assert display_sender(Sender("Rodrigo", "", {"spam_sales": 1}, 1, 1))["counts"] == {"spam_sales": 1}

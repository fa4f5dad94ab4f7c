"""Dates of LinkedIn's files: read to one shape, ordered to the second, written as ISO."""

from __future__ import annotations

from intent.io.dates import When, parse_date


def test_seconds_order_messages_of_the_same_minute() -> None:
    first, second = parse_date("2026-10-02 09:14:05 UTC"), parse_date("2026-10-02 09:14:51 UTC")
    assert first is not None and second is not None
    assert first == second  # the same minute for display
    assert first.sort_key < second.sort_key
    assert second.iso() == "2026-10-02 09:14:51"


def test_iso_of_invitation_dates_and_partial_dates() -> None:
    when = parse_date("10/12/26, 6:30 PM")
    assert when is not None and when.iso() == "2026-10-12 18:30:00"
    assert When(2026, 10).iso() == "2026-10" and When(2026, 10, 3).iso() == "2026-10-03"
    assert parse_date("2026-10-02 25:61:00 UTC") is None  # not a time


def test_sort_key_round_trips_to_iso_midnight_included() -> None:
    for value in ("2026-10-02 00:00:00 UTC", "2026-10-02 23:59:59 UTC", "2026-10-02", "2026-10"):
        when = parse_date(value)
        assert when is not None and When.iso_of(when.sort_key) == when.iso()
    assert When.iso_of(When(2026, 10, 2, "00:00").sort_key) == "2026-10-02 00:00:00"
    assert When(2026, 10, 2).sort_key < When(2026, 10, 2, "00:00").sort_key < When(2026, 10, 3).sort_key

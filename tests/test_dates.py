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

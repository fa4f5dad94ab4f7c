"""The shared reader's advice is said in the page's and the API's terms, never as a CLI flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from intent.errors import DataError
from intent.io.batch import BatchOptions, check_inputs
from intent.web.messages import for_web


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("a,b\n1,2\n", "choose which column holds the text"),
        ("text,mensaje\n1,2\n", "choose which column holds the text"),
        ("texto\nhola\nuno,dos\n", "repair that row and upload the file again"),
    ],
)
def test_reader_errors_advise_no_flag_the_page_lacks(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as exc:
        from intent.io.csv_io import CsvReader

        check_inputs(str(path), BatchOptions(text_column=None))
        with path.open(encoding="utf-8", newline="") as fh:
            list(CsvReader(fh, "x.csv", ","))
    message = for_web(str(exc.value))
    assert expected in message
    assert "--text-column" not in message and "pass --on-bad-lines" not in message


def test_an_unknown_text_column_lists_the_choices() -> None:
    message = for_web("x.csv has no column 'cuerpo'. Its columns are: a, b. Fix: pass one of them to --text-column.")
    assert message.endswith("Fix: choose one of them as the text column.")


def test_other_messages_are_left_as_they_are() -> None:
    assert for_web("The uploaded file is empty.") == "The uploaded file is empty."

"""Corrections: per message and per conversation, the last label wins, and the CSV `intent train --data` reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from intent.config import LABELS
from intent.learn.data import load_labeled, texts_and_labels
from intent.web.corrections import (
    JOINER,
    CorrectionError,
    Corrections,
    Source,
    Target,
    check_target,
    corrections_csv,
    examples,
)

SPAM, GENUINE, REJECTION = LABELS

ROWS: list[dict[str, Any]] = [
    {"n": 0, "text": "Hola Lucía, gracias por conectar.", "intent": GENUINE, "sender": "Germán Císcar"},
    {"n": 1, "text": "¿Te enseño nuestra plataforma? 15 minutos.", "intent": SPAM, "sender": "Germán Císcar"},
    {"n": 2, "text": "No, gracias.", "intent": REJECTION, "sender": "Lucía Ferrer"},  # the owner's reply
    {"n": 3, "text": "", "intent": None, "sender": "Pablo Ortega"},  # an invitation without a note
    {"n": 4, "text": 'Dijo "sí", pero luego, mejor no,\nla verdad', "intent": GENUINE, "sender": ""},
]
# conversation id -> (the other party's rows, the other party)
CONVERSATIONS = {"c-german": ([0, 1], ["Germán Císcar"]), "c-pablo": ([3], ["Pablo Ortega"])}


def source() -> Source:
    return Source(
        lambda n: ROWS[n] if 0 <= n < len(ROWS) else None,
        lambda cid: CONVERSATIONS.get(cid),
    )


def test_set_clear_and_state_hold_no_text() -> None:
    c = Corrections()
    c.set(Target("row", 1), REJECTION)
    c.set(Target("conversation", "c-german"), SPAM)
    assert len(c) == 2
    assert c.state() == {"count": 2, "rows": {"1": REJECTION}, "conversations": {"c-german": SPAM}}
    c.set(Target("row", 1), None)
    assert c.state()["rows"] == {} and len(c) == 1
    c.set(Target("row", 9), None)  # clearing what is not there is fine
    with pytest.raises(CorrectionError, match="unknown label"):
        c.set(Target("row", 1), "spam")
    c.clear()
    assert len(c) == 0


def test_a_conversation_is_one_example_of_the_other_partys_messages() -> None:
    c = Corrections()
    c.set(Target("conversation", "c-german"), SPAM)
    (example,) = examples(c, source())
    # Germán's two messages, in order, and not Lucía's reply: what he wants, from what he wrote
    assert example.text == JOINER.join([ROWS[0]["text"], ROWS[1]["text"]])
    assert (example.label, example.group) == (SPAM, "german ciscar")


def test_a_text_corrected_twice_counts_once_with_its_last_label() -> None:
    c = Corrections()
    c.set(Target("row", 1), GENUINE)
    c.set(Target("row", 4), REJECTION)
    c.set(Target("row", 1), SPAM)  # set again: now the last one
    assert [(e.text, e.label) for e in examples(c, source())] == [(ROWS[4]["text"], REJECTION), (ROWS[1]["text"], SPAM)]
    assert examples(c, source())[0].group == "row 4"  # no sender: a writer of its own


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (Target("row", 99), "no row 99"),
        (Target("row", 3), "row 3 has no text"),
        (Target("conversation", "c-nobody"), "no conversation 'c-nobody'"),
        (Target("conversation", "c-pablo"), "wrote nothing to learn from"),
    ],
)
def test_nothing_to_learn_from_is_refused(target: Target, message: str) -> None:
    with pytest.raises(CorrectionError, match=message):
        check_target(target, source())


def test_the_csv_is_what_intent_train_data_reads(tmp_path: Path) -> None:
    c = Corrections()
    c.set(Target("row", 4), REJECTION)  # commas, quotes and a line break
    c.set(Target("conversation", "c-german"), SPAM)
    items = examples(c, source())
    path = tmp_path / "correcciones.csv"
    path.write_bytes(corrections_csv(items))
    assert path.read_text(encoding="utf-8").startswith("text,label\n")
    texts, labels = texts_and_labels(load_labeled(path))  # the reader of `intent train --data`
    assert texts == [e.text for e in items] and labels == [e.label for e in items]

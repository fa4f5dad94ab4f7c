from __future__ import annotations

from intent.text.lemmas import LemmaTable


def test_lookup_gives_the_lemma_or_the_form_itself() -> None:
    table = LemmaTable.of({"ofrecemos": "ofrecer", "ofreces": "ofrecer", "reuniones": "reunión"})
    assert table.lookup(["ofrecemos", "reuniones", "hola", "ofreces", ""]) == [
        "ofrecer",
        "reunión",
        "hola",
        "ofrecer",
        "",
    ]
    assert table.get("hola", "hola") == "hola" and table.get("ofreces") == "ofrecer"
    assert len(table) == 3 and table.lemmas == ["ofrecer", "reunión"]  # one string per distinct lemma


def test_arrays_round_trip() -> None:
    table = LemmaTable.of({"estás": "estar", "tienes": "tener"})
    parts = table.arrays()
    again = LemmaTable.from_arrays(parts["keys"], parts["which"], parts["lemmas"])
    assert again.lookup(["estás", "tienes", "x"]) == ["estar", "tener", "x"]


def test_an_empty_table_knows_nothing() -> None:
    table = LemmaTable.of({})
    assert table.lookup(["a", "b"]) == ["a", "b"] and table.lookup([]) == []

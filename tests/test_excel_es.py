"""The CSV for Excel in Spanish: one table of names, our columns only, values a Spanish Excel reads right."""

from __future__ import annotations

import csv
import io

from intent.io.excel_es import SpanishExcel, ours_in_header, percent_es, spanish_excel_csv, value_es


def test_percentages_have_a_decimal_comma() -> None:
    assert percent_es("0.9731") == "97,31%"
    assert percent_es("1.0000") == "100,00%" and percent_es("0.0004") == "0,04%"
    assert percent_es("") == ""  # no text, no confidence


def test_codes_become_words_and_unknown_values_pass_through() -> None:
    assert value_es("intent", "gatekeeping_rejection") == "Rechazo"
    assert value_es("uncertain", "true") == "sí" and value_es("awaiting_reply", "false") == "no"
    assert value_es("status", "other_language") == "otro idioma"
    assert value_es("language", "en") == "inglés" and value_es("language", "und") == "sin determinar"
    assert value_es("language", "xx") == "xx"
    assert value_es("intent", "") == ""


def test_only_our_columns_are_translated() -> None:
    """The input's own columns go out as they came, even when they share a name with ours."""
    header = ["intent", "texto", "intent_pred", "confidence", "uncertain"]
    spanish = SpanishExcel({2: "intent", 3: "confidence", 4: "uncertain"})
    assert spanish.header(header) == ["intent", "texto", "intención", "confianza", "dudoso"]
    row = spanish.row(["true", "hola", "spam_sales", "0.5", "true"])
    assert row == ["true", "hola", "Venta / spam", "50,00%", "sí"]
    # a column of theirs already named as our Spanish name: ours says it is intent's
    assert SpanishExcel({1: "intent"}).header(["intención", "intent"]) == ["intención", "intención (intent)"]


def test_ours_are_found_at_the_end_of_a_message_table() -> None:
    predictions = ["intent", "confidence", "uncertain", "proba_spam_sales", "proba_genuine_networking"]
    predictions += ["proba_gatekeeping_rejection", "status", "language"]
    plain = ["texto", "direction", *predictions]  # "direction" is theirs: no conversation_id, owner beside it
    assert ours_in_header(plain) == {i + 2: name for i, name in enumerate(predictions)}
    suffixed = ["intent", *(f"{c}_pred" if c == "intent" else c for c in predictions)]
    assert ours_in_header(suffixed)[1] == "intent" and 0 not in ours_in_header(suffixed)
    export = ["source_file", "CONTENT", "conversation_id", "direction", "owner", *predictions]
    assert ours_in_header(export)[0] == "source_file" and ours_in_header(export)[3] == "direction"
    assert ours_in_header(["a", "b"]) == {}  # not a file intent wrote: nothing is touched


def test_spanish_excel_csv_keeps_every_row_and_escapes_formulas() -> None:
    plain = (
        "text,intent,confidence,uncertain,proba_spam_sales,proba_genuine_networking,proba_gatekeeping_rejection,"
        'status,language\n=1+1,spam_sales,0.9000,false,0.9000,0.0500,0.0500,ok,es\n"dos\nlíneas",,,true,,,,empty,\n'
    ).encode()
    excel = spanish_excel_csv(plain)
    assert excel.startswith(b"\xef\xbb\xbftext;intenci\xc3\xb3n;confianza;")
    rows = list(csv.reader(io.StringIO(excel.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[1] == ["'=1+1", "Venta / spam", "90,00%", "no", "90,00%", "5,00%", "5,00%", "correcto", "español"]
    assert rows[2] == ["dos\nlíneas", "", "", "sí", "", "", "", "sin texto", ""]
    assert spanish_excel_csv(b"") == b"\xef\xbb\xbf"

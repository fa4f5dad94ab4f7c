from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import intent.text.normalize as normalize_module
from intent.config import MAX_CHARS
from intent.text.normalize import fold_accents, has_content, mask, normalize, repair, squash_repeats, truncate


def test_repair_fixes_mojibake_entities_and_tags() -> None:
    assert repair("La reuniÃ³n del aÃ±o") == "La reunión del año"
    assert repair("Tom &amp; Jerry&#39;s") == "Tom & Jerry's"
    assert repair("hola<br>adiós<br/>fin") == "hola\nadiós\nfin"
    assert repair("a\u00a0b\u200bc") == "a bc"
    assert repair("doble &amp;#39;escape") == "doble 'escape"


def test_mask_replaces_specifics_with_placeholders() -> None:
    masked = mask(
        "Escríbeme a ana.lopez@ejemplo.com o al +34 600 123 456, reserva en calendly.com/ana/15min "
        "por $1.500 USD (20% dto) 🚀🚀 @juan #ventas en 2 días"
    )
    for placeholder in (
        "xxemail",
        "xxphone",
        "xxurl",
        "xxmoney",
        "xxpercent",
        "xxemoji",
        "xxmention",
        "xxhashtag",
        "xxnum",
    ):
        assert placeholder in masked, placeholder
    assert "ejemplo" not in masked and "600" not in masked and "juan" not in masked
    assert masked.count("xxemoji") == 1  # a run of emoji is one signal


def test_mask_money_forms() -> None:
    for text in (
        "cuesta 300€",
        "solo 49 euros",
        "S/ 250 al mes",
        "USD 99",
        "2 millones de pesos",
        "500 lucas",
    ):
        assert "xxmoney" in mask(text), text


def test_squash_repeats_and_keeps_double_letters() -> None:
    assert squash_repeats("holaaaa siiii") == "hola si"
    assert squash_repeats("llamar correo acceso") == "llamar correo acceso"


def test_fold_accents_keeps_enie() -> None:
    assert fold_accents("información pingüino Ñandú año") == "informacion pinguino Ñandu año"


def test_normalize_makes_accentless_and_accented_meet_after_folding() -> None:
    assert fold_accents(normalize("INFORMACIÓN")) == fold_accents(normalize("informacion"))


def test_truncate_caps_length() -> None:
    text, cut = truncate("a" * (MAX_CHARS + 10))
    assert cut and len(text) == MAX_CHARS
    assert truncate("corto") == ("corto", False)


@given(st.text())
def test_normalize_never_crashes_on_any_unicode(text: str) -> None:
    out = normalize(text)
    assert isinstance(out, str)
    assert out == out.strip()


NASTY = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec=None, categories=["Cc", "Cf", "Mn", "Zs", "Zl", "Zp", "So", "Cs"])),
    st.lists(
        st.sampled_from(["\u202e", "\u200d", "\u0301", "👩‍👩‍👧", "\ud800", "&amp;", "<br>", "Ã³", "\x00", "a"])
    ).map("".join),
)


@given(NASTY)
def test_normalize_survives_control_bidi_zwj_combining_and_lone_surrogates(text: str) -> None:
    out = normalize(text)
    assert isinstance(out, str)
    out.encode("utf-8")  # no lone surrogate survives: the result is always valid text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hola  que\ttal\u00a0amigo", "hola que tal amigo"),  # runs and unusual spaces become one space
        ("a b c", "a b c"),  # single spaces: untouched
        ("holaaa ωωω niiiño", "hola ω niño"),  # any letter stretched three times, in any script
        ("año 2000", "año xxnum"),  # digits are not stretched letters
        ("sin emoji → ok", "sin emoji xxemoji ok"),  # arrows count as emoji
        ("100 por ciento", "xxpercent"),
    ],
)
def test_normalize_fast_paths_keep_the_rules(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_fold_accents_with_a_combining_mark_typed_apart() -> None:
    assert fold_accents("espan\u0303ol cafe\u0301") == "español cafe"
    assert fold_accents("informaci\u00f3n CIGÜEÑA") == "informacion CIGUEÑA"
    assert fold_accents("東京 がんばって") == fold_accents("東京 がんばって")  # outside the table: the slow path


@given(st.text() | st.sampled_from(["<p></p>", "&nbsp;", "\u200b", "\x1b[31m", "<b>x</b>", "&amp;", "Ã±"]))
def test_has_content_is_repair_leaving_something(text: str) -> None:
    """One definition of "empty": nothing left once the start the model reads is repaired."""
    assert has_content(text) == bool(repair(text[:MAX_CHARS]))


def test_has_content_reads_only_what_the_model_reads() -> None:
    assert not has_content(" " * MAX_CHARS + "hola")
    assert has_content("hola" + " " * MAX_CHARS)


# ---- the rules one by one, with their boundaries ------------------------------------------------

from intent.text.normalize import is_placeholder  # noqa: E402


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("llámame al 600 123 456", "llámame al xxphone"),  # a Spanish mobile: 9 digits in groups
        ("llámame al 600123456", "llámame al xxphone"),
        ("fijo 91 123 45 67", "fijo xxphone"),
        ("+34 600 12 34 56", "xxphone"),  # with the country code
        ("whatsapp +52 55 1234 5678", "whatsapp xxphone"),  # Mexico City, 10 digits
        ("tel 1234 5678", "tel xxphone"),  # 8 digits: the shortest phone
        ("tel 123 4567", "tel xxnum xxnum"),  # 7 digits: numbers, not a phone
        ("el 12/03/2026 a las 10:30", "el xxnum a las xxnum"),  # dates and times are numbers
        ("año 2026", "año xxnum"),
    ],
)
def test_phones_are_masked_by_their_digits(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("escribe a ana@ejemplo.es ya", "escribe a xxemail ya"),
        ("mira www.ejemplo.com/x o https://a.io/b?c=1", "mira xxurl o xxurl"),
        ("visita ejemplo.com.", "visita xxurl ."),
        ("fin de frase.sin espacio", "fin de frase.sin espacio"),  # a dot is not a link
        ("hola @juan y @maría", "hola xxmention y xxmention"),
        ("#ventas #b2b", "xxhashtag xxhashtag"),
        ("precio 1.500,50 € al mes", "precio xxmoney al mes"),
        ("USD 99 o 80 EUR", "xxmoney o xxmoney"),
        ("un 20% o 30 por ciento", "un xxpercent o xxpercent"),
        ("cuesta 5 EUROS", "cuesta xxmoney"),  # any case
        ("İstanbul: 5 euros", "İstanbul: xxmoney"),  # lowercasing changes the length: the flagged pattern
        ("\u017folo 5 euros", "\u017folo xxmoney"),  # the long s
        ("🚀🚀 vamos 👍🏽", "xxemoji vamos xxemoji"),
        ("sin nada especial", "sin nada especial"),
    ],
)
def test_mask_placeholders(text: str, expected: str) -> None:
    assert mask(text) == expected


def test_placeholders_are_known() -> None:
    for word in mask("a@b.com https://x.io 600 123 456 5€ 20% @ana #tag 7 🚀").split():
        assert is_placeholder(word), word
    assert not is_placeholder("hola") and not is_placeholder("xx")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\ud800hola\udfff", "hola"),  # lone surrogates dropped
        ("a<p>b</p>c", "a b\nc"),  # tags become a space, a closing paragraph a line
        ("a< br />b<BR>c", "a\nb\nc"),
        ("1 &lt; 2 &amp;&amp; &quot;x&quot;", '1 < 2 && "x"'),
        ("&amp;amp;", "&"),  # escaped twice: undone twice
        ("Ã©xito", "éxito"),  # mojibake
        ("\uff46\uff55\uff4c\uff4c \u2460", "full 1"),  # NFKC: full-width letters, a circled digit
        ("in\u200bvi\u00adsi\u2060ble\ufeff", "invisible"),
        ("con\x07trol\x1bes\x7f", "con trol es"),
        ("  espacios \t\u00a0 de más  ", "espacios de más"),
        ("linea\n\nlinea", "linea\n\nlinea"),  # line breaks are kept
    ],
)
def test_repair_each_kind_of_damage(text: str, expected: str) -> None:
    assert repair(text) == expected


def test_truncate_boundary() -> None:
    assert truncate("a" * MAX_CHARS) == ("a" * MAX_CHARS, False)
    assert truncate("a" * (MAX_CHARS + 1)) == ("a" * MAX_CHARS, True)


def test_normalize_reads_only_the_first_max_chars_and_lowercases() -> None:
    body = "abc" * MAX_CHARS
    assert normalize("HOLA " + body + " OFERTA") == ("hola " + body)[:MAX_CHARS]
    assert normalize("Holaaaa  AMIGA, visita https://x.io") == "hola amiga, visita xxurl"


@pytest.mark.parametrize(
    ("text", "content"),
    [
        ("hola", True),
        ("  \n\t ", False),
        ("\x85", True),  # mojibake of "…": repair makes it "..."
        ("<p></p>", False),
        ("<b>x</b>", True),
        ("&nbsp;", False),
        ("&amp;", True),
        ("\x1b[31m", True),
        ("\x1b", False),
        ("\u200b\u200d", False),
        ("ñ", True),
    ],
)
def test_has_content_cases(text: str, content: bool) -> None:
    assert has_content(text) is content


def test_squash_repeats_only_letters_three_times() -> None:
    assert squash_repeats("siii") == "si" and squash_repeats("sii") == "sii"
    assert squash_repeats("1000 ___ !!!") == "1000 ___ !!!"
    assert squash_repeats("") == ""


def test_fold_accents_cases() -> None:
    assert fold_accents("plain ascii") == "plain ascii"
    assert fold_accents("ÁÉÍÓÚ àèìòù äëïöü ñÑ ç") == "AEIOU aeiou aeiou ñÑ c"
    assert fold_accents("n\u0303 N\u0303 a\u0303") == "ñ Ñ a"  # a tilde typed apart stays only on n
    assert fold_accents("\u0303inicio") == "inicio"  # a mark with nothing before it
    assert fold_accents("café 🚀") == "cafe 🚀"


def test_the_fast_paths_change_no_result() -> None:
    assert mask("ve a http://intranet/app ya") == "ve a xxurl ya"  # a link without a dot
    assert mask("cuesta 5 euro\u017f") == "cuesta xxmoney"  # the long s, inside the amount
    assert fold_accents("X\u0303 n\u0303") == "X ñ"  # a tilde typed apart stays only on n
    damaged = "reuniÃ³n &amp;amp;amp; fin"  # mojibake, and an entity escaped three times
    assert repair(damaged) == "reunión &amp; fin"  # entities are undone twice, never by the mojibake repair


# Pieces that amounts, phones and links are made of, in any order: what the fast paths must match
# exactly as the plain patterns do.
_PIECES = st.sampled_from(
    [
        " ",
        "  ",
        "\n",
        ".",
        ",",
        "/",
        "-",
        "+",
        "(",
        ")",
        "$",
        "€",
        "£",
        "%",
        "k",
        "m",
        "M",
        "a",
        "de",
        "mil",
        "millones",
        "euros",
        "Euro",
        "USD",
        "us$",
        "U$S",
        "S/.",
        "s/",
        "pesos",
        "dólares",
        "lucas",
        "eur",
        "sol",
        "ciento",
        "por",
        "1",
        "9",
        "12",
        "250",
        "2.500",
        "600 123 456",
        "+34",
        "(55)",
        "1,5",
        "10.000,00",
        "www",
        ".com",
        "http://",
        "ejemplo",
        "İ",
        "\u0131",
        "\u017f",
        "K",
        "ñ",
        "_",
        "x1",
        "1x",
    ]
)
_MIXED = st.lists(_PIECES, max_size=14).map("".join)


@given(_MIXED)
@example("1€2")  # no amount at the first run; one begins right after its only digit
def test_money_masking_equals_the_plain_pattern(text: str) -> None:
    """Anchored tries on the lowercased text find what one search with IGNORECASE finds."""
    assert normalize_module._mask_money(text) == normalize_module._MONEY.sub(" xxmoney ", text)


@given(_MIXED)
@example("llamame al +(34) 600 123 456 o al (55) 1234 5678")
def test_phone_masking_equals_the_plain_pattern(text: str) -> None:
    phone, number = normalize_module._PHONE, normalize_module._phone_or_number
    assert normalize_module._sub_near_digits(phone, normalize_module._PHONE_LEAD, number, text) == phone.sub(
        number, text
    )


@given(_MIXED)
@example("İstanbul: www.ejemplo.com")  # lowercasing changes the length: the flagged pattern decides
@example("un 5 por cIento")
@example("un 5 por c\u0131ento")
def test_the_link_and_percent_hints_never_miss_one(text: str) -> None:
    if normalize_module._URL.search(text):
        assert normalize_module._has_url_hint(text)
    if normalize_module._PERCENT.search(text):
        assert normalize_module._may_hold_percent(text)


def test_only_damaged_text_goes_through_the_mojibake_repair() -> None:
    """A letter that can start mojibake ("Ñ") without what follows it in mojibake leaves the text as
    it is: the repair would also straighten its quotes."""
    curly = "ESPAÑA dijo \u201csí\u201d y \u2018no\u2019"
    assert repair(curly) == curly

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import intent.text.normalize as normalize_module
from intent.config import MAX_CHARS, PLACEHOLDERS
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
        ("sin  repair\u00a0ni\tnada", "sin repair ni nada"),  # unusual spaces, when mask reads them first
        ("🚀\u3000ya  ", "xxemoji ya"),
        ("5  y 6", "xxnum y xxnum"),
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
        ("  hola  que   tal ", "hola que tal"),  # plain spaces only: the fast path squeezes them too
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


_MONEY_SUB = " xxmoney "


def _digits_masked_plainly(text: str) -> str:
    """What `mask` does to digits, with the plain patterns: amounts, percentages, phones, numbers."""
    n = normalize_module
    text = n._MONEY.sub(_MONEY_SUB, text)
    text = n._PERCENT.sub(" xxpercent ", text)
    text = n._PHONE.sub(lambda found: n._phone_or_number(found.group()), text)
    return n._NUMBER.sub(" xxnum ", text)


@given(_MIXED)
@example("1€2")  # no amount at the first run; one begins right after its only digit
@example("5 $10 y 3")  # the amount tried from the first run begins after it
@example("$1 2345 y 20%")  # the amount ends inside a run: its last digit is a number of its own
@example("llamame al +(34) 600 123 456 o al (55) 1234 5678, son 5 euros")
@example("un 5 por cIento, 2.500 eur\u0131")  # the dotless i: the flagged money pattern
def test_digit_masking_equals_the_plain_patterns(text: str) -> None:
    """Anchored tries near digit runs (the runs followed through each pass's replacements) find and
    replace what the plain patterns, one search each, do."""
    runs = normalize_module._digit_runs(text)
    assert normalize_module._mask_digits(text, runs) == _digits_masked_plainly(text)


@given(_MIXED)
@example("1€2")
@example("S/. 5 y 10 soles")
@example(" 250)£1")  # the amount begins right past the positions the first run's try covered
@example("1,5€\n1,5")  # a try from where the previous match ended, not from before it
def test_money_masking_equals_the_plain_pattern(text: str) -> None:
    """On the lowercased text with the lowercase pattern, or on the text with the flagged one."""
    n = normalize_module
    runs = n._digit_runs(text)
    low = n._lowered(text)
    if low is not None:
        edits = n._matches_near_digits(n._MONEY_LOWER_NEAR, n._MONEY_LEAD, _MONEY_SUB, text, runs, low)
        assert n._edited(text, edits) == n._MONEY.sub(_MONEY_SUB, text)
    edits = n._matches_near_digits(n._MONEY_NEAR, n._MONEY_LEAD, _MONEY_SUB, text, runs)
    assert n._edited(text, edits) == n._MONEY.sub(_MONEY_SUB, text)


@pytest.mark.parametrize(
    ("near", "lead", "plain", "repl"),
    [
        ("_MONEY_NEAR", "_MONEY_LEAD", "_MONEY", _MONEY_SUB),
        ("_PERCENT_NEAR", 0, "_PERCENT", " xxpercent "),
        ("_PHONE_NEAR", "_PHONE_LEAD", "_PHONE", None),
        ("_NUMBER_NEAR", 0, "_NUMBER", " xxnum "),
    ],
)
@given(text=_MIXED)
@example(text="llamame al +(34) 600 123 456 o al (55) 1234 5678")
@example(text="$1 2345, 7 1234 5678 9")
@example(text="5€ y 6% y 7€ 8% 9")  # runs after two replacements or more move by all of them
def test_each_digit_pattern_near_runs_and_the_runs_after_it(
    near: str, lead: str | int, plain: str, repl: str | None, text: str
) -> None:
    """Each pass alone equals its plain pattern, and the runs it hands on are those of its result."""
    n = normalize_module
    runs = n._digit_runs(text)
    lead_chars = lead if isinstance(lead, int) else getattr(n, lead)
    replace = repl if repl is not None else n._phone_or_number
    edits = n._matches_near_digits(getattr(n, near), lead_chars, replace, text, runs)
    pattern = getattr(n, plain)
    expected = pattern.sub(repl if repl is not None else lambda found: n._phone_or_number(found.group()), text)
    assert n._edited(text, edits) == expected
    assert n._runs_after(runs, edits) == n._digit_runs(expected)


def test_near_digits_tries_each_position_up_to_the_lead_in_turn() -> None:
    near = normalize_module._near_digits(re.compile("ab", re.IGNORECASE), 2)
    assert near.match("---ab", 0) is None  # three positions on: out of reach
    for text, span in (("--AB", (2, 4)), ("-abab", (1, 3))):  # two on, in any case; the first that matches
        found = near.match(text, 0)
        assert found is not None and found.span(1) == span


def test_the_placeholders_hold_no_digit_and_touch_none() -> None:
    """What following the digit runs through the replacements relies on."""
    for placeholder in PLACEHOLDERS.values():
        assert not normalize_module._DIGIT_RUN.search(placeholder)
    for repl in (_MONEY_SUB, normalize_module._PERCENT_REPL, normalize_module._NUMBER_REPL):
        assert repl.startswith(" ") and repl.endswith(" ")
    assert normalize_module._phone_or_number("600 123 456") == " xxphone "
    assert normalize_module._phone_or_number("123 4567") == "123 4567"


# Pieces of addresses, mentions and links: what the email fast path must match as `_EMAIL` does.
_ADDRESS_PIECES = st.sampled_from(
    ["@", "a", "Ñ", "1", "_", ".", "+", "-", " ", "com", "es", "x.y", "@@", "\u00b2", "ana.lopez", "/", ","]
)


@given(st.lists(_ADDRESS_PIECES, max_size=16).map("".join))
@example("a@b.co+y@z.w")  # the next address begins where the previous one ended, inside a run
@example("a@b.c-x@y.z")  # an "@" right where the previous address ended begins none
@example("x a@b y@c.d")  # an "@" whose address fails, then one that matches
@example("@a.b ab@ @c.de")
@example("@ a@b.co")  # an "@" first
@example("a@b.co c@d.co e@f.co")  # the "@" after each match, in turn
@example("x@ a@b.co y@")  # the "@" after each one that begins no address
def test_email_masking_equals_the_plain_pattern(text: str) -> None:
    assert normalize_module._mask_emails(text) == normalize_module._EMAIL.sub(" xxemail ", text)


def test_address_characters_are_the_email_pattern_class_over_every_code_point() -> None:
    every = "".join(map(chr, range(0x110000)))
    by_pattern = set(re.findall(r"[\w.+-]", every))
    assert by_pattern == {char for char in every if normalize_module._is_address_char(char)}


@given(st.lists(st.sampled_from(["@", "#", "a", "_", "1", " ", "ñ", "@@", "##", ".", "x@"]), max_size=12).map("".join))
def test_mentions_and_hashtags_equal_the_lookbehind_first_patterns(text: str) -> None:
    """The patterns begin with their "@" or "#" (fast to search for): the same matches as with the
    lookbehind first."""
    assert normalize_module._MENTION.sub(" m ", text) == re.sub(r"(?<![\w@])@\w+", " m ", text)
    assert normalize_module._HASHTAG.sub(" h ", text) == re.sub(r"(?<![\w#])#\w+", " h ", text)


_EMOJI_PIECES = st.sampled_from(
    ["🚀", "👍", "\U0001f3fd", "\ufe0f", "\u200d", "\u20e3", "→", "☀", "⌚", "a", " ", "1", "\U0001faff"]
)


@given(st.lists(_EMOJI_PIECES, max_size=12).map("".join))
def test_emoji_runs_equal_the_repeated_group_pattern(text: str) -> None:
    """`_EMOJI` begins with a character class (fast to search for): the same runs as the group repeated."""
    one = normalize_module._ONE_EMOJI
    assert normalize_module._EMOJI.sub(" e ", text) == re.sub(f"(?:{one})+", " e ", text)


@given(st.lists(st.sampled_from([" ", "  ", "\t", "\u00a0", "\u3000", "a", "\n"]), max_size=12).map("".join))
def test_squeezing_plain_spaces_equals_the_full_pattern(text: str) -> None:
    assert normalize_module._squeeze_spaces(text) == normalize_module._SPACES.sub(" ", text)
    if not normalize_module._ODD_SPACE.search(text):
        assert normalize_module._squeeze_plain_spaces(text) == normalize_module._SPACES.sub(" ", text)


@given(_MIXED)
@example("İstanbul: www.ejemplo.com")  # lowercasing changes the length: the flagged pattern decides
@example("ve a http://intranet/app")  # a link without a dot
@example("www.. y nada")  # a dot, then a dot
@example("WWW.EJEMPLO.COM")
def test_the_link_hint_never_misses_one(text: str) -> None:
    if normalize_module._URL.search(text):
        assert normalize_module._has_url_hint(text)


def test_the_link_hint_skips_prose() -> None:
    assert not normalize_module._has_url_hint("Hola. Te escribo por esto: nada más.")
    assert not normalize_module._has_url_hint("1.500 euros")  # a dot and a digit, but no link ending
    assert normalize_module._has_url_hint("mira ejemplo.com")


def test_repairable_characters_hold_every_set_a_repair_pass_acts_on_over_every_code_point() -> None:
    """A text without any `_REPAIRABLE` character (and NFKC-normal) takes the fast path of `repair`:
    each of these sets must be inside it, or a pass would be skipped where it acts."""
    n = normalize_module
    every = "".join(map(chr, range(0x110000)))
    repairable = set(n._REPAIRABLE.findall(every))
    for pattern in (n._SURROGATES, n._MOJIBAKE_LEAD, n._INVISIBLE, n._CONTROL, n._ODD_SPACE):
        assert set(pattern.findall(every)) <= repairable, pattern
    assert {"<", "&"} <= repairable  # what every tag and entity begins with
    assert not n._REPAIRABLE.search("Hola, ¿qué tal? ñandú, ümlaut, 🚀 100%")  # most text is left alone


_REPAIR_PIECES = st.sampled_from(
    [
        "a",
        " ",
        "  ",
        "\n",
        "\t",
        "\u00a0",
        "\u00b4",  # NFKC: a space and a combining acute
        "\u00a8",
        "\uff46",  # full-width f
        "\u2460",
        "e\u0301",  # NFKC composes it
        "\u200b",
        "\x07",
        "\x85",
        "Ã³",
        "Ñ",
        "&amp;",
        "<br>",
        "\ud800",
        "\u2028",
        "ñ",
    ]
)


@given(st.lists(_REPAIR_PIECES, max_size=12).map("".join) | st.text())
@example("a \u00b4b")  # NFKC makes two spaces of a space and an acute accent
@example("\uff46\uff55\uff4c\uff4c")
def test_repair_fast_path_equals_every_pass(text: str) -> None:
    assert repair(text) == normalize_module._repair_fully(text)


def test_only_damaged_text_goes_through_the_mojibake_repair() -> None:
    """A letter that can start mojibake ("Ñ") without what follows it in mojibake leaves the text as
    it is: the repair would also straighten its quotes."""
    curly = "ESPAÑA dijo \u201csí\u201d y \u2018no\u2019"
    assert repair(curly) == curly


# Letters with and without accents in several scripts, a mark standing alone outside the blocks
# the fast path looks for (a Cyrillic titlo), Hangul jamo that NFC composes. (Not a Hebrew point:
# after an ñ, NFD puts it before the tilde, so the slow path drops the tilde and the fast one, as
# before, keeps the ñ.)
_FOLD_PIECES = st.sampled_from(
    ["a", "n", "N", "ñ", "á", "Ü", "ç", "ő", "ά", "ё", "й", "\u0483", "\u1100\u1161", "ǅ", "ﬁ", " ", "1", "\u0131"]
)


@given(st.lists(_FOLD_PIECES, max_size=12).map("".join))
def test_fold_accents_fast_path_equals_the_slow_one(text: str) -> None:
    """Each foldable character through the table, then NFC: what folding the whole text does."""
    assert fold_accents(text) == normalize_module._fold_slowly(text)

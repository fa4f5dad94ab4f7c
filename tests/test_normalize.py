from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

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

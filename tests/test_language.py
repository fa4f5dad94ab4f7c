from __future__ import annotations

import csv
from pathlib import Path
from typing import NamedTuple

import pytest
from lingua import Language

from intent.config import LANGUAGE_ID_CHARS, MAX_CHARS
from intent.model import IntentModel
from intent.text import language
from intent.text.language import (
    CANDIDATES,
    FUNCTION_WORD_SHARE,
    LANGUAGE_NAMES,
    MARGIN,
    MIN_LETTERS,
    MIN_WORDS,
    UNDETERMINED,
    identify,
    is_supported,
    language_name,
    spanish_function_words,
)

FIXTURE = Path(__file__).parent / "fixtures" / "other_languages.csv"
# Fixture rows under the minimum evidence: undetermined by policy, not misread.
SHORT = {"not interested, thanks", "No m'interessa, gràcies."}


class _Confidence(NamedTuple):
    language: Language
    value: float


class _StubDetector:
    """lingua's detector with fixed confidence values (best first), whatever the text."""

    def __init__(self, **values: float) -> None:
        self.values = [_Confidence(getattr(Language, name.upper()), v) for name, v in values.items()]
        self.values.sort(key=lambda c: -c.value)
        self.seen: list[str] = []

    def compute_language_confidence_values(self, text: str) -> list[_Confidence]:
        self.seen.append(text)
        return self.values


def stub(monkeypatch: pytest.MonkeyPatch, **values: float) -> _StubDetector:
    detector = _StubDetector(**values)
    monkeypatch.setattr(language, "detector", lambda: detector)
    return detector


def words(count: int, letters: int) -> str:
    """``count`` made-up words (consonants only: no Spanish word, no tripled letter) with ``letters`` letters in all."""
    sizes = [letters // count + (i < letters % count) for i in range(count)]
    return " ".join("".join("kwpzvbtrhd"[(i + j) % 10] for j in range(size)) for i, size in enumerate(sizes))


# -- policy, on a detector with fixed confidence values ------------------------------------------


def test_minimum_evidence_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    detector = stub(monkeypatch, english=1.0)
    assert identify(words(MIN_WORDS, MIN_LETTERS)) == "en"
    assert identify(words(MIN_WORDS, MIN_LETTERS - 1)) == UNDETERMINED
    assert identify(words(MIN_WORDS - 1, 3 * MIN_LETTERS)) == UNDETERMINED
    assert identify("👍🙏 " + words(MIN_WORDS - 1, MIN_LETTERS) + " 12 345 www.example.com") == UNDETERMINED
    assert len(detector.seen) == 1  # too little to tell: the detector is not even asked


def test_dotted_names_are_no_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    """A made-up domain the URL mask does not know ("shop-rd.example") adds no words."""
    stub(monkeypatch, english=1.0)
    assert identify("great offer here: superdeals-shop.example/promo") == UNDETERMINED
    assert identify("great offer here superdeals shop example promo") == "en"


def test_margin_over_spanish_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    text = words(MIN_WORDS + 2, MIN_LETTERS + 10)
    stub(monkeypatch, catalan=(1 + MARGIN) / 2, spanish=(1 - MARGIN) / 2)
    assert identify(text) == "ca"
    stub(monkeypatch, catalan=(1 + MARGIN) / 2 - 0.01, spanish=(1 - MARGIN) / 2 + 0.01)
    assert identify(text) == "es"
    stub(monkeypatch, portuguese=MARGIN, italian=1 - MARGIN)  # Spanish not even listed: 0
    assert identify(text) == "pt"
    stub(monkeypatch, spanish=0.6, portuguese=0.4)
    assert identify(text) == "es"


def test_spanish_function_words_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    """One Spanish function word in `1 / FUNCTION_WORD_SHARE` words makes "English" Spanglish."""
    per = round(1 / FUNCTION_WORD_SHARE)
    assert "para" in spanish_function_words("en") and "para" not in language._SPANISH_ONLY
    at = "para " + words(per - 1, MIN_LETTERS + 10)
    under = "para " + words(per, MIN_LETTERS + 10)
    stub(monkeypatch, english=1.0)
    assert identify(at) == "es" and identify(under) == "en"
    stub(monkeypatch, german=1.0)
    assert identify(at) == "es" and identify(under) == "de"
    stub(monkeypatch, portuguese=1.0)  # "para" is Portuguese too: no evidence against it
    assert identify(at) == "pt"


def test_function_words_leave_out_words_english_shares() -> None:
    english = spanish_function_words("en")
    assert {"de", "la", "que", "con", "los", "y"} <= english
    assert not {"a", "no", "total", "final", "son", "solo", "he", "me"} & english
    assert not {"die", "da", "total", "mal"} & spanish_function_words("de")


def test_spanish_only_words_decide_before_the_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    detector = stub(monkeypatch, english=1.0)
    assert identify("no me escribai más") == "es"
    assert identify("pásame tu correo") == "es"
    assert not detector.seen


# -- the real detector ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "no me escribai más",
        "¡felicidades!",
        "Grande, Cata, ¡felicidades!",
        "Dale, mi hermano 👊",
        "pasame tu whats",
        "¿Os hago la web?",
        "jajaja nel",
        "querés que te pase el contacto?",
        "obvio q si!! 🙌",
        "enhorabuena x el premio!!",
        "Felicidades, colega!",
        "Promo aquí 👉 tiendafit-rd.example",
        "👍🙏",
    ],
)
def test_short_spanish_is_not_flagged(text: str) -> None:
    assert is_supported(identify(text))


@pytest.mark.parametrize(
    "text",
    [
        "te mando el deck para el meeting",
        "Hola Luisa! Te mando el deck para el meeting del lunes, avisame si tenés feedback",
        "Hacemos un call el jueves y cerramos el follow up con el partner, ok?",
        "No me interesa, gracias",
        "holaaa!! q tal el meeting? mandame el feedback porfa 😊",
        "¿Y tú quién eres?",
        "Hey Sofi! Estoy armando un equipo de growth para una startup de fintech, full remote y con un "
        "package muy competitivo. ¿Te interesa que hablemos del rol?",
        "Hi Carla! Vi tu post sobre el roadmap de producto y me encantó el approach. Tenemos un meetup de "
        "PMs en Madrid el próximo jueves, ¿te sumas?",
    ],
)
def test_spanish_with_loanwords_stays_spanish(text: str) -> None:
    assert identify(text) in ("es", "und")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "Hello Daniel, I noticed we both work in renewable energy and I would be glad to exchange ideas "
            "about the offshore wind projects you are leading.",
            "en",
        ),
        (
            "Olá Pedro, tudo bem? Vi o seu trabalho na área de logística e gostaria de apresentar a nossa "
            "solução de rastreamento de frotas. Podemos conversar esta semana?",
            "pt",
        ),
        (
            "Bona tarda, Marta! Et volia proposar una reunió per parlar del nou projecte de digitalització "
            "del vostre despatx. Quan et va bé?",
            "ca",
        ),
        (
            "Bonjour Claire, nous organisons un petit-déjeuner entre responsables RH à Lyon le mois prochain "
            "et votre présence nous ferait très plaisir.",
            "fr",
        ),
        (
            "Hallo Jonas, wir suchen erfahrene Entwickler für unser Team in Berlin und ich würde mich freuen, "
            "wenn wir uns kurz austauschen könnten.",
            "de",
        ),
    ],
)
def test_foreign_paragraphs_are_flagged(text: str, code: str) -> None:
    assert identify(text) == code and not is_supported(code)


def test_clear_foreign_messages_are_identified() -> None:
    rows = list(csv.DictReader(FIXTURE.open(encoding="utf-8")))
    expected = {r["text"]: UNDETERMINED if r["text"] in SHORT else r["language"] for r in rows}
    assert {text: identify(text) for text in expected} == expected


def test_too_short_to_tell_is_not_flagged() -> None:
    assert identify("ok 👍") == "und"
    assert is_supported("und") and is_supported("es") and not is_supported("en")
    assert is_supported("ca", ("es", "ca"))


def test_every_language_has_a_spanish_name() -> None:
    assert set(LANGUAGE_NAMES) == {*CANDIDATES, UNDETERMINED}
    assert (language_name("en"), language_name("pt"), language_name("ca")) == ("inglés", "portugués", "catalán")
    assert language_name("xx") == "xx"
    with pytest.raises(TypeError):
        LANGUAGE_NAMES["en"] = "English"  # type: ignore[index]


def test_classify_flags_other_language_but_still_labels(mini_model: IntentModel) -> None:
    english, spanish = mini_model.classify(
        [
            "Hi Maria, I came across your profile and would love to connect. We help B2B teams grow.",
            "Hola Maria, vi tu perfil y me encantaría conectar contigo.",
        ]
    )
    assert english.status == "other_language" and english.language == "en"
    assert english.uncertain and english.label is not None
    assert spanish.language == "es" and spanish.status == "ok"
    widened = mini_model.classify("Bon dia! Gràcies per la invitació, però no m'interessa gens.", ("es", "ca"))
    assert widened.language == "ca" and widened.status == "ok"
    off = mini_model.classify("Hi Maria, I came across your profile and would love to connect.", None)
    assert off.language == "" and off.status == "ok"


def test_identification_reads_a_bounded_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17, items 1 and 2: the detector's cost grows with the text, so it never sees more than a start."""
    seen: list[int] = []
    real = language.repair

    def spy(text: str) -> str:
        seen.append(len(text))
        return real(text)

    monkeypatch.setattr(language, "repair", spy)
    english = "I came across your profile and would love to connect about our product. "
    assert identify(english * 20_000) == "en"  # 1.5 million characters
    assert seen and max(seen) <= LANGUAGE_ID_CHARS <= MAX_CHARS


# -- the first check and the helpers, at their boundaries -----------------------------------------


def test_spanish_only_words_decide_at_their_share(monkeypatch: pytest.MonkeyPatch) -> None:
    per = round(1 / language._MARKER_SHARE)  # one marker in this many words is enough
    detector = stub(monkeypatch, english=1.0)
    assert identify("gracias " + words(per - 1, 4 * per)) == "es" and detector.seen == []
    assert identify("gracias " + words(per, 4 * per)) == "en" and len(detector.seen) == 1  # a share under it
    assert language.spanish_evidence("gracias " + words(per - 1, 4 * per))
    assert not language.spanish_evidence("gracias " + words(per, 4 * per))
    assert not language.spanish_evidence("") and not language.spanish_evidence(words(3, 12))
    assert not language.spanish_evidence("xxurl xxphone hola")  # placeholders are not words
    assert language.spanish_evidence("xxurl y xxphone")


def test_the_detector_reads_the_cleaned_lowercased_text(monkeypatch: pytest.MonkeyPatch) -> None:
    detector = stub(monkeypatch, english=1.0)
    identify("HELLO <b>Dear</b> FRIEND visit https://example.com NOWWW 600 123 456")
    assert [text.split() for text in detector.seen] == [["hello", "dear", "friend", "visit", "now"]]


def test_supported_languages() -> None:
    assert is_supported(UNDETERMINED, ("en",)) and is_supported("es")
    assert not is_supported("en") and not is_supported("") and is_supported("en", ("es", "en"))
    assert language.SUPPORTED == ("es",) and UNDETERMINED == "und"
    assert language_name("en") == "inglés" and language_name("xx") == "xx"


def test_the_real_detector_is_built_once_for_the_candidates() -> None:
    first = language.detector()
    assert language.detector() is first
    english = "I came across your profile and would love to connect about our product."
    values = first.compute_language_confidence_values(english)
    assert values[0].language.iso_code_639_1.name.lower() == "en"
    assert {v.language.iso_code_639_1.name.lower() for v in values} == set(CANDIDATES)


def test_placeholders_and_dotted_names_add_no_words(monkeypatch: pytest.MonkeyPatch) -> None:
    per = round(1 / language._MARKER_SHARE)
    assert language.spanish_evidence("gracias " + words(per - 1, 4 * per) + " xxurl")  # still one in twenty
    detector = stub(monkeypatch, english=1.0)
    assert identify("wonderful offers here superdeals-shop.example") == UNDETERMINED  # three words
    assert detector.seen == []

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from intent.config import LANGUAGE_ID_CHARS, MAX_CHARS
from intent.model import IntentModel
from intent.text import language
from intent.text.language import identify, is_supported

FIXTURE = Path(__file__).parent / "fixtures" / "other_languages.csv"


def test_clear_foreign_messages_are_identified() -> None:
    rows = list(csv.DictReader(FIXTURE.open(encoding="utf-8")))
    found = [identify(r["text"]) for r in rows]
    right = sum(f == r["language"] for f, r in zip(found, rows, strict=True))
    assert right >= len(rows) - 1, list(zip(found, [r["language"] for r in rows], strict=True))
    assert "es" not in [f for f, r in zip(found, rows, strict=True) if r["language"] in ("en", "pt")]


@pytest.mark.parametrize(
    "text",
    [
        "te mando el deck para el meeting",
        "Hola Luisa! Te mando el deck para el meeting del lunes, avisame si tenés feedback",
        "Hacemos un call el jueves y cerramos el follow up con el partner, ok?",
        "No me interesa, gracias",
        "holaaa!! q tal el meeting? mandame el feedback porfa 😊",
        "¿Y tú quién eres?",
    ],
)
def test_spanish_with_loanwords_stays_spanish(text: str) -> None:
    assert identify(text) in ("es", "und")


def test_too_short_to_tell_is_not_flagged() -> None:
    assert identify("ok 👍") == "und"
    assert is_supported("und") and is_supported("es") and not is_supported("en")
    assert is_supported("ca", ("es", "ca"))


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

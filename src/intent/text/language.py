"""Is a message in Spanish? Offline language identification, cautious with Spanglish.

The model is trained on Spanish: a confident label on an English pitch or a Portuguese greeting
would mislead, so such messages are flagged (status ``other_language``), never dropped.

Identification uses lingua (models ship in its wheel; nothing is downloaded), in its low
accuracy mode: ~20 MB per process instead of ~190 MB, which keeps batch runs under their
memory target. Spanish full of English loanwords ("te mando el deck para el meeting") fools any
detector, so three checks run in order, each allowed to say "Spanish":
1. Spanish-only words ("y", "los", "con", "pero", "gracias", "soy", "lunes"…), one in twenty
   words or more, decide at once (a Spanish greeting atop an English pitch does not);
2. fewer than three words, or a detector not sure (< 0.7) of another language: not flagged;
3. if the detector's per-segment reading finds Spanish in ≥ 40 % of the words, Spanish.
Only what survives all three is flagged. Thresholds were set on the training corpus
(0.8 % of its Spanish messages flagged), never on the test sets.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any, Final

from intent.config import LANGUAGE_ID_CHARS
from intent.text.normalize import mask, repair, squash_repeats

#: Languages the detector chooses among (ISO 639-1). Spanish inboxes mostly receive these.
CANDIDATES: Final = ("es", "en", "pt", "ca", "fr", "it", "de")
#: What `classify` accepts as supported by default.
SUPPORTED: Final = ("es",)
UNDETERMINED: Final = "und"

# Words common in Spanish that are not words of Portuguese, Catalan or English (checked one by one).
_SPANISH_ONLY: Final = frozenset(
    (  # noqa: SIM905 (a word list reads better as text)
        "y los las con pero muy usted ustedes gracias estoy estás está tengo tienes quiero puedo nuestro "
        "nuestra nuestros nuestras nosotros también tambien soy eres qué cómo cuándo dónde mucho muchas "
        "muchos bueno buenas saludos su sus hay así vos querés podés tenés sos lunes martes miércoles jueves "
        "viernes sábado domingo mañana hoy ayer llamada reunión ahora después entonces necesito puedes "
        "podemos hablamos tenemos ofrecemos equipo trabajo interesa cualquier ahí acá conmigo xq porfa chao"
    ).split()
)
_WORD = re.compile(r"[^\W\d_]+")
_PLACEHOLDER = re.compile(r"\bxx(?:url|email|phone|money|percent|num|mention|hashtag|emoji)\b")
_MARKER_SHARE: Final = 0.05  # one Spanish-only word in twenty
_SURE: Final = 0.7
_SPANISH_SEGMENT_SHARE: Final = 0.4
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in CANDIDATES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()


def detector() -> Any:
    """The process-wide detector, built once (thread-safely) on first use."""
    with _LOCK:
        return _detector()


def identify(text: str) -> str:
    """The ISO 639-1 code of the message's language, or ``und`` when there is too little to tell.

    Only the first `LANGUAGE_ID_CHARS` characters are read: enough to tell, and the cost of a
    huge message stays that of a short one.
    """
    cleaned = _PLACEHOLDER.sub(" ", squash_repeats(mask(repair(text[:LANGUAGE_ID_CHARS])))).lower()
    words = _WORD.findall(cleaned)
    markers = sum(w in _SPANISH_ONLY for w in words)
    if markers and markers / len(words) >= _MARKER_SHARE:
        return "es"
    if len(words) < 3:
        return UNDETERMINED
    det = detector()
    top = det.compute_language_confidence_values(cleaned)[0]
    code = top.language.iso_code_639_1.name.lower()
    if code == "es" or top.value < _SURE:
        return "es"
    segments = det.detect_multiple_languages_of(cleaned)
    spanish_words = sum(s.word_count for s in segments if s.language.iso_code_639_1.name.lower() == "es")
    return "es" if spanish_words >= _SPANISH_SEGMENT_SHARE * len(words) else code


def spanish_evidence(normalized: str) -> bool:
    """Whether the model's normalized text (repaired, masked, lowercased, accents kept) carries
    enough Spanish-only words to answer Spanish at once: `identify`'s first check, on text the
    model has already cleaned."""
    words = _WORD.findall(_PLACEHOLDER.sub(" ", normalized))
    markers = sum(w in _SPANISH_ONLY for w in words)
    return bool(markers) and markers / len(words) >= _MARKER_SHARE


def is_supported(language: str, supported: tuple[str, ...] = SUPPORTED) -> bool:
    """Undetermined (too short to tell) counts as supported: the flag is for what is clearly foreign."""
    return language == UNDETERMINED or language in supported

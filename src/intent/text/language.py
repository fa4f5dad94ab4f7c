"""Is a message in Spanish? Offline language identification, cautious with Spanglish and short messages.

The model is trained on Spanish: a confident label on an English pitch or a Portuguese greeting
would mislead, so such messages are flagged (status ``other_language``), never dropped.

Identification uses lingua (models ship in its wheel; nothing is downloaded), in its low
accuracy mode: ~20 MB per process instead of ~190 MB, which keeps batch runs under their
memory target. A wrong flag on Spanish costs the user a needless check, so a message is flagged
only when the evidence for another language is clear. The checks run in order:
1. Spanish-only words ("y", "los", "pero", "gracias", "más", voseo "querés", "escribai"…), one
   in twenty words or more: Spanish, at once (a Spanish greeting atop an English pitch is not);
2. fewer than `MIN_WORDS` words or `MIN_LETTERS` letters (web addresses left out): too little to
   tell, ``und``. Short replies ("¡felicidades!", "no me escribai más") are where detectors err;
3. the detector's top language must beat Spanish by `MARGIN` in its confidence values;
4. against English and German, whose words seldom coincide with Spanish ones, Spanish function
   words (spaCy's Spanish stop words that are not stop words of that language) making up
   `FUNCTION_WORD_SHARE` of the words mean Spanglish: Spanish.
Only what survives all four is flagged. Thresholds were chosen on data/train.csv, data/test.csv
and the challenge set's ``dev`` split (see benchmarks/bench_language.py for the figures).
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Container, Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Final

from intent.config import LANGUAGE_ID_CHARS
from intent.text.normalize import mask, repair, squash_repeats

#: Languages the detector chooses among (ISO 639-1). Spanish inboxes mostly receive these; rarer
#: languages are left out so that they cannot win on a short Spanish text.
CANDIDATES: Final = ("es", "en", "pt", "ca", "fr", "it", "de")
#: What `classify` accepts as supported by default.
SUPPORTED: Final = ("es",)
UNDETERMINED: Final = "und"
#: Each code `identify` can return, named in Spanish for the people who read the flag
#: ("otro idioma: inglés"). The one place these names live.
LANGUAGE_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "es": "español",
        "en": "inglés",
        "pt": "portugués",
        "ca": "catalán",
        "fr": "francés",
        "it": "italiano",
        "de": "alemán",
        UNDETERMINED: "sin determinar",
    }
)

#: Fewer words than this (after masking links, numbers and emoji) is too little to tell.
MIN_WORDS: Final = 4
#: Fewer letters than this, in those words, is too little to tell.
MIN_LETTERS: Final = 20
#: How far the top language's confidence must be above Spanish's (confidences sum to 1).
MARGIN: Final = 0.5
#: Share of Spanish function words that makes an "English" or "German" message Spanglish.
FUNCTION_WORD_SHARE: Final = 0.125

# Words common in Spanish that are not words of Portuguese, Catalan, French, Italian or English
# (checked one by one), including colloquial and regional forms: voseo, Chilean verb endings,
# imperatives with their pronoun.
_SPANISH_ONLY: Final = frozenset(
    (  # noqa: SIM905 (a word list reads better as text)
        "y los las con pero muy usted ustedes gracias estoy estás está tengo tienes quiero puedo nuestro "
        "nuestra nuestros nuestras nosotros también tambien soy eres qué cómo cuándo dónde mucho muchas "
        "muchos bueno buenas saludos su sus hay así vos querés podés tenés sos lunes martes miércoles jueves "
        "viernes sábado domingo mañana hoy ayer llamada reunión ahora después entonces necesito puedes "
        "podemos hablamos tenemos ofrecemos equipo trabajo interesa cualquier ahí acá conmigo xq porfa chao "
        "más tus él tú día días pues oye ahorita xfa sabés hacés decís escribís venís "
        "cachai acordai escribai querís sabís tenís podís "
        "escribime avisame contame decime pasame mandame llamame "
        "escríbeme avísame cuéntame dime pásame mándame llámame"
    ).split()
)
# Languages whose words seldom coincide with Spanish function words ("de", "la", "que", "con"…):
# against them, those words are evidence of Spanish. Portuguese, Catalan, French and Italian
# share too many of them (and spaCy's stop lists for them miss many shared words: "dia",
# "estamos", "final"), so against those only `_SPANISH_ONLY` counts.
_FUNCTION_WORD_LANGUAGES: Final = ("en", "de")
# Spanish stop words that are also ordinary English or German words, or stray letters (chat "u"):
# no evidence either way.
_SHARED: Final = frozenset(
    "a e o u ha he era fin final total mal solo son sea tan dan van dice ir tal once".split()  # noqa: SIM905
)
# A word, with what hyphens, apostrophes or a Catalan middle dot join to it: the Catalan and
# French "proposar-vos", "m'interessa", "col·laboració" are one word each (so their "vos" is not
# taken for Spanish voseo).
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019\u00b7-][^\W\d_]+)*")
_PLACEHOLDER = re.compile(r"\bxx(?:url|email|phone|money|percent|num|mention|hashtag|emoji)\b")
# Dotted names the URL mask does not know ("tienda-rd.example", "deck.pdf"): no language in them.
_DOTTED = re.compile(r"[\w-]+(?:\.[\w-]+)+(?:/\S*)?")
_MARKER_SHARE: Final = 0.05  # one Spanish-only word in twenty
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


@lru_cache(maxsize=len(_FUNCTION_WORD_LANGUAGES))
def spanish_function_words(code: str) -> frozenset[str]:
    """Spanish function words that are not function words of ``code``'s language (spaCy's stop
    word lists, which ship with spaCy: nothing is downloaded)."""
    spanish = importlib.import_module("spacy.lang.es.stop_words").STOP_WORDS
    other = importlib.import_module(f"spacy.lang.{code}.stop_words").STOP_WORDS
    return frozenset(spanish - other - _SHARED)


def _share(words: list[str], vocabulary: Container[str]) -> float:
    hits = sum(w in vocabulary for w in words)
    return hits / len(words) if hits else 0.0


def identify(text: str) -> str:
    """The ISO 639-1 code of the message's language, or ``und`` when there is too little to tell.

    Only the first `LANGUAGE_ID_CHARS` characters are read: enough to tell, and the cost of a
    huge message stays that of a short one.
    """
    cleaned = _PLACEHOLDER.sub(" ", squash_repeats(mask(repair(text[:LANGUAGE_ID_CHARS])))).lower()
    if "." in cleaned:
        cleaned = _DOTTED.sub(" ", cleaned)
    words = _WORD.findall(cleaned)
    if _share(words, _SPANISH_ONLY) >= _MARKER_SHARE:
        return "es"
    if len(words) < MIN_WORDS or sum(map(len, words)) < MIN_LETTERS:
        return UNDETERMINED
    return _decide(detector().compute_language_confidence_values(cleaned), words)


def _decide(confidences: Iterable[Any], words: list[str]) -> str:
    """Checks 3 and 4 on the detector's confidence values for a text of ``words``: the code of
    a language that clearly beats Spanish, else ``es``."""
    values = {c.language.iso_code_639_1.name.lower(): float(c.value) for c in confidences}
    top = max(values, key=values.__getitem__)
    if top == "es" or values[top] - values.get("es", 0.0) < MARGIN:
        return "es"
    if top in _FUNCTION_WORD_LANGUAGES and _share(words, spanish_function_words(top)) >= FUNCTION_WORD_SHARE:
        return "es"
    return top


def spanish_evidence(normalized: str) -> bool:
    """Whether the model's normalized text (repaired, masked, lowercased, accents kept) carries
    enough Spanish-only words to answer Spanish at once: `identify`'s first check, on text the
    model has already cleaned."""
    return _share(_WORD.findall(_PLACEHOLDER.sub(" ", normalized)), _SPANISH_ONLY) >= _MARKER_SHARE


def language_name(code: str) -> str:
    """The Spanish name of a code `identify` returns ("en" -> "inglés"); an unknown code as it is."""
    return LANGUAGE_NAMES.get(code, code)


def is_supported(language: str, supported: tuple[str, ...] = SUPPORTED) -> bool:
    """Undetermined (too short to tell) counts as supported: the flag is for what is clearly foreign."""
    return language == UNDETERMINED or language in supported

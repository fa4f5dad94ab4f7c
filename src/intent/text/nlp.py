"""The spaCy Spanish pipeline: built once per process from its name, never pickled.

``"blank:es"`` (the default) is ``spacy.blank("es")`` plus lookup lemmas from
spacy-lookups-data: no download, fast, good enough for intent. Any installed
``es_core_news_*`` package can be named instead to use its trained lemmatizer.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.lookups import Table

from intent.errors import ModelLoadError

_LOCK = threading.Lock()
# Components that lemmatization does not need; excluding them makes full pipelines much faster.
_UNNEEDED = ("parser", "ner", "senter", "textcat")


def get_nlp(name: str) -> Language:
    """Return the process-wide spaCy pipeline called ``name``, building it on first use."""
    with _LOCK:
        return _build(name)


@lru_cache(maxsize=4)
def _build(name: str) -> Language:
    if name.startswith("blank:"):
        lang = name.split(":", 1)[1]
        nlp = spacy.blank(lang)
        try:
            nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
            nlp.initialize()
        except (ValueError, OSError) as exc:  # lookup tables missing
            raise ModelLoadError(
                f"spaCy's lookup lemmas for '{lang}' are not installed ({exc}). "
                "Fix: pip install spacy-lookups-data (or reinstall intent)."
            ) from exc
        return nlp
    try:
        return spacy.load(name, exclude=list(_UNNEEDED))
    except OSError as exc:
        raise ModelLoadError(
            f"The spaCy pipeline '{name}' is not installed. Fix: install it "
            f"(pip install {name}) or train with the default pipeline 'blank:es'."
        ) from exc


def get_tokenizer(name: str) -> Language:
    """The process-wide blank pipeline for ``name``'s language: spaCy's tokenizer and nothing else.

    A saved model brings its own lemma entries, so predicting needs no lemmatizer: this is the
    cheap part of spaCy to build (no lookup tables to load).
    """
    with _LOCK:
        return _blank(name.split(":", 1)[1] if name.startswith("blank:") else name)


@lru_cache(maxsize=4)
def _blank(lang: str) -> Language:
    return spacy.blank(lang)


@lru_cache(maxsize=2)
def lemma_lookup(name: str) -> dict[str, str]:
    """spaCy's lookup lemmas for a ``blank:<lang>`` pipeline, as a plain dict (form -> lemma).

    Read from spacy-lookups-data's own file, which is what the lookup lemmatizer loads, so that
    a model can keep the entries it needs by their text.
    """
    import gzip
    import json

    import spacy_lookups_data

    lang = name.split(":", 1)[1] if name.startswith("blank:") else name
    files = getattr(spacy_lookups_data, lang, {})
    path = Path(str(files.get("lemma_lookup", "")))
    for candidate in (path, path.with_name(path.name + ".gz")):
        if candidate.is_file():
            opener = gzip.open if candidate.suffix == ".gz" else open
            with opener(candidate, "rt", encoding="utf-8") as fh:
                return dict(json.load(fh))
    raise ModelLoadError(f"spaCy's lookup lemmas for '{lang}' are not installed. Fix: pip install spacy-lookups-data.")


def lookup_table(nlp: Language) -> Table | None:
    """The lemma lookup table when the pipeline lemmatizes by lookup only, else None.

    spaCy's lookup Lemmatizer does, per token, ``table.get(token.text, token.text)`` in
    Python. Doing the same lookup directly on the tokenizer's output gives the very same
    lemmas about five times faster, so `SpacyPreprocessor` does that for lookup pipelines
    and runs the full ``nlp.pipe`` only for trained pipelines (es_core_news_*).
    """
    if nlp.pipe_names != ["lemmatizer"]:
        return None
    lemmatizer = nlp.get_pipe("lemmatizer")
    if getattr(lemmatizer, "mode", None) != "lookup":
        return None
    return lemmatizer.lookups.get_table("lemma_lookup")  # type: ignore[attr-defined]


def describe(name: str) -> dict[str, str]:
    """What the pipeline is, for the model's metadata."""
    nlp = get_nlp(name)
    meta = nlp.meta
    return {
        "name": name,
        "lang": str(nlp.lang),
        "pipeline": ",".join(nlp.pipe_names),
        "package_version": str(meta.get("version", "")),
        "spacy_version": spacy.__version__,
    }

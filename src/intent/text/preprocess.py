"""Preprocessing transformer: raw messages -> (lemmas, normalized text, structure) via spaCy.

It is stateless (nothing is learned in ``fit``), so it can run once before a hyperparameter
search. It keeps only the pipeline's *name*; the spaCy ``Language`` is fetched from the
process-wide cache in `intent.text.nlp`, so a saved model never carries spaCy.

A saved model also carries, for the default lookup pipeline, only the lemma entries its
vocabulary can use (`lemma_subset`): loading it then needs spaCy's tokenizer alone, not the
half-million-entry lookup table (seconds and 150 MB at every start).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache, partial
from itertools import chain
from typing import Any, ClassVar, cast

import numpy as np
from spacy.attrs import ORTH
from spacy.lang.es.stop_words import STOP_WORDS
from spacy.lookups import Table
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Token

from intent.config import DEFAULT_SPACY_MODEL, KEEP_WORDS
from intent.estimator import Transformer
from intent.text.lemmas import LemmaTable
from intent.text.nlp import get_nlp, get_tokenizer, lemma_lookup, lookup_table
from intent.text.normalize import fold_accents, is_placeholder, normalize

#: Column order of `SpacyPreprocessor.transform` output: lemmas, normalized text with accents
#: folded (what character n-grams read), structure tokens, and the normalized text as it is
#: (accents kept: language identification reuses it).
LEMMAS, TEXT, STRUCTURE, NORMALIZED = 0, 1, 2, 3

# Tokens repeat a lot across messages: folding each distinct one once saves most of the cost.
_fold = lru_cache(maxsize=200_000)(fold_accents)

_FUNCTION_WORDS = frozenset(fold_accents(w) for w in STOP_WORDS) | KEEP_WORDS
_STOP_WORDS = _FUNCTION_WORDS - KEEP_WORDS
# Punctuation that carries intent ("¿y tú quién eres?", "¡NO!") is kept as a token.
_KEPT_PUNCT = frozenset({"?", "!"})
# Where a sentence ends, for the position of the ask (a line break ends one too).
_SENTENCE_END = frozenset({".", "!", "?", "…", "..."})
# Negation cues, and what ends their scope: punctuation, or a contrast ("no X, pero Y").
_NEGATIONS = frozenset({"no", "ni", "nunca", "jamas", "tampoco", "sin", "nadie", "ninguno", "ninguna", "not", "never"})
_SCOPE_END_WORDS = frozenset({"pero", "sino", "aunque", "but"})
#: Prefixes of the structure tokens: first sentence, closing sentences, a one-sentence message, negated.
BEGIN, END, SINGLE, NEGATED = "b_", "e_", "s_", "n_"


def check_texts(texts: Iterable[Any]) -> list[str]:
    """Materialize ``texts`` as a list of strings; a non-string raises TypeError with its position.

    Bytes are refused whole (iterating them gives numbers), and so are mappings (iterating a dict
    gives its keys, which would be classified silently).
    """
    if isinstance(texts, str):
        raise TypeError("expected an iterable of strings, got a single string")
    if isinstance(texts, bytes | bytearray | memoryview):
        raise TypeError(
            f"expected a string or an iterable of strings, got {type(texts).__name__}. "
            "Fix: decode it first, e.g. text.decode('utf-8')."
        )
    if isinstance(texts, Mapping):
        raise TypeError(
            f"expected a string or an iterable of strings, got a mapping ({type(texts).__name__}). "
            "Fix: pass its values (list(d.values())) or its keys explicitly."
        )
    out = list(texts)
    for i, text in enumerate(out):
        if not isinstance(text, str):
            fix = " Fix: decode it first, e.g. text.decode('utf-8')." if isinstance(text, bytes | bytearray) else ""
            raise TypeError(f"message at position {i} is {type(text).__name__}, expected str.{fix}")
    return out


class SpacyPreprocessor(Transformer):
    """Turn messages into lemma strings (for word n-grams), normalized text (for char n-grams)
    and structure tokens: where each lemma sits and whether a negation covers it.

    Words alone mislead where intent hides in structure: a warm opener whose offer arrives in
    the closing sentence, or a refusal that names what it refuses ("no necesitamos otro CRM").
    So each lemma of the first sentence is also emitted as ``b_<lemma>``, of the last two as
    ``e_<lemma>`` (``s_`` for a one-sentence message), and inside a negation's scope (up to
    punctuation or "pero") as ``n_<lemma>``.

    Parameters
    ----------
    spacy_model:
        ``"blank:es"`` (lookup lemmas, the default) or an installed ``es_core_news_*`` package.
    drop_stopwords:
        Drop Spanish stop words, except those that carry intent (negations, pronouns,
        interrogatives: see `intent.config.KEEP_WORDS`).
    batch_size:
        Batch size for ``nlp.pipe``.
    """

    #: A loaded model's own lemma entries (see `lemma_subset`); None: spaCy's lookup table.
    lemmas_: LemmaTable | None = None

    def __init__(
        self,
        spacy_model: str = DEFAULT_SPACY_MODEL,
        drop_stopwords: bool = True,
        batch_size: int = 256,
    ) -> None:
        self.spacy_model = spacy_model
        self.drop_stopwords = drop_stopwords
        self.batch_size = batch_size

    def fit(self, X: Iterable[str], y: Any = None) -> SpacyPreprocessor:
        """Check the pipeline can be built; nothing is learned."""
        get_nlp(self.spacy_model)
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def transform(self, X: Iterable[str]) -> np.ndarray:
        """Return an object array of shape (n, 4): lemmas, folded text, structure tokens, normalized text."""
        texts = [normalize(t) for t in check_texts(X)]
        out = np.empty((len(texts), 4), dtype=object)
        subset: LemmaTable | None = getattr(self, "lemmas_", None)
        if subset is not None:  # a loaded model: its own lemma entries, spaCy's tokenizer only
            nlp = get_tokenizer(self.spacy_model)
            table: Any = subset
        else:
            nlp = get_nlp(self.spacy_model)
            table = lookup_table(nlp)
        if table is not None:
            # Lookup pipelines: tokenize, then look lemmas up directly (same lemmas, much faster).
            tokenizer = cast(Tokenizer, nlp.tokenizer)
            ids = [doc.to_array(ORTH) for doc in tokenizer.pipe(texts, batch_size=self.batch_size)]
            lemmas, structure = _TokenKinds.of(nlp, table, self.drop_stopwords).read(ids)
        else:
            joined = [_joined(*self._lemmas_of_tokens(doc)) for doc in nlp.pipe(texts, batch_size=self.batch_size)]
            lemmas, structure = [j[0] for j in joined], [j[1] for j in joined]
        out[:, LEMMAS] = lemmas
        out[:, TEXT] = [fold_accents(t) for t in texts]
        out[:, STRUCTURE] = structure
        out[:, NORMALIZED] = texts
        return out

    def _lemmas_of_tokens(self, doc: Doc) -> tuple[list[str], list[int], list[int]]:
        """Kept lemmas, sentence starts and negated positions (see `_structure`), from a trained
        pipeline's own lemmas (they depend on context)."""
        drop = self.drop_stopwords
        return _walk([_kind(t.text, t.is_space, t.is_punct, drop, partial(_own_lemma, t)) for t in doc])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(["lemmas", "text", "structure", "normalized"], dtype=object)

    def lemma_subset(self, tokens: set[str]) -> LemmaTable | None:
        """The lookup entries a model whose vocabulary holds ``tokens`` can use, or None when the
        pipeline does not lemmatize by lookup (a trained es_core_news_* pipeline).

        A form's entry matters when its lemma, or the form itself, is a vocabulary token: with
        the entry the model sees the lemma, without it the form. Any other form gives no feature
        either way. So tokens looked up in this subset (form -> lemma, else the form) give the
        model exactly the features the full table gives.
        """
        if lookup_table(get_nlp(self.spacy_model)) is None:
            return None
        return LemmaTable.of(
            {
                form: lemma
                for form, lemma in lemma_lookup(self.spacy_model).items()
                if form != lemma and form == form.lower() and (_fold(lemma) in tokens or _fold(form) in tokens)
            }
        )


def _structure(lemmas: list[str], starts: list[int], negated: list[int]) -> list[str]:
    """Position and negation tokens (see `SpacyPreprocessor`); "?" and "!" keep their position too.

    ``starts``: where each sentence after the first begins in ``lemmas`` (a sentence of dropped
    stop words only begins where the next does); ``negated``: the positions a negation covers.
    The tokens are a bag (the structure branch reads single tokens): zone by zone, then negations.
    """
    if not lemmas:
        return []
    last = len(starts)
    while last and starts[last - 1] == len(lemmas):  # sentences begun after the last lemma hold none
        last -= 1
    if last == 0:
        out = [SINGLE + lemma for lemma in lemmas]
    else:
        # the first sentence, and the closing zone: the last two sentences (the last, of two)
        out = [BEGIN + lemma for lemma in lemmas[: starts[0]]]
        out += [END + lemma for lemma in lemmas[starts[last - 2] if last >= 2 else starts[0] :]]
    out += [NEGATED + lemmas[i] for i in negated]
    return out


_SKIP, _KEEP, _DROP = 0, 1, 2
#: Batches of fewer documents are walked token by token (`_TokenKinds._walk_each`), larger ones
#: with array operations over the whole batch (`_TokenKinds.read`).
WALK_BELOW = 16
#: The structure prefixes by zone number (columns of `_TokenKinds.zoned`).
_ZONES = (BEGIN, END, SINGLE, NEGATED)
_BEGIN_ZONE, _END_ZONE, _SINGLE_ZONE, _NEGATED_ZONE = range(len(_ZONES))
#: What a distinct token string means for the lemmas: (kind, ends a sentence, lemma, resets the
#: negation scope, opens one, can be negated).
_Kind = tuple[int, bool, str, bool, bool, bool]
# The same, but the lemma, packed in one small integer per string (bits of `_TokenKinds.codes`).
_IS_KEPT, _IS_DROPPED, _ENDS, _RESETS, _OPENS, _NEGATABLE = 1, 2, 4, 8, 16, 32


def _pack(kind: _Kind) -> int:
    what, ends, _, resets, opens, negatable = kind
    return (
        (_IS_KEPT if what == _KEEP else _IS_DROPPED if what == _DROP else 0)
        | (_ENDS if ends else 0)
        | (_RESETS if resets else 0)
        | (_OPENS if opens else 0)
        | (_NEGATABLE if negatable else 0)
    )


class _TokenKinds:
    """What each distinct token string means for the lemmas, computed once per string.

    Tokens repeat a great deal across messages, so instead of asking spaCy for a Token object
    and its attributes token by token, a batch's token ids are read as arrays, each distinct id
    is described once (and kept), and the walk through each document's tokens (sentences,
    negation scopes) is a few array operations over the whole batch. Only for lookup pipelines,
    where a token's lemma depends on its text alone.
    """

    _cache: ClassVar[dict[tuple[int, int, bool], _TokenKinds]] = {}
    _LIMIT = 50_000  # distinct strings kept before the cache starts again (about 40 MB)

    def __init__(self, nlp: Any, table: Table | LemmaTable, drop: bool) -> None:
        self.nlp, self.table, self.drop = nlp, table, drop
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.known: dict[int, int] = {}  # token id -> row of `codes`, `lemma_of` and `zoned` (its first rows)
        self.codes = np.zeros(0, dtype=np.uint8)
        self.lemma_of = np.zeros(0, dtype=object)  # str
        self.zoned = np.zeros((0, len(_ZONES)), dtype=object)  # the lemma with each zone's prefix
        self.primed: dict[int, str] = {}  # lemmas looked up for a batch, by token id
        self.kinds: list[_Kind] = []  # by row, for `_walk`

    @classmethod
    def of(cls, nlp: Any, table: Any, drop: bool) -> _TokenKinds:
        key = (id(nlp), id(table), drop)
        kinds = cls._cache.get(key)
        if kinds is None or kinds.nlp is not nlp or kinds.table is not table:
            kinds = cls._cache[key] = cls(nlp, table, drop)
        return kinds

    def lookup(self, orth: int, text: str) -> str:
        if isinstance(self.table, LemmaTable):
            lemma = self.primed.get(orth)
            return lemma if lemma is not None else self.table.lookup([text])[0]
        return str(self.table.get(orth, text))  # spaCy's table, by the string's hash

    def _describe(self, orth: int) -> _Kind:
        lexeme = self.nlp.vocab[orth]
        text = lexeme.orth_
        return _kind(text, lexeme.is_space, lexeme.is_punct, self.drop, lambda: self.lookup(orth, text))

    def _rows(self, distinct: list[int]) -> np.ndarray:
        """The row of each distinct token id, describing the ones not seen before (their lemmas
        looked up together: one vectorized search for the batch)."""
        if len(self.known) + len(distinct) > self._LIMIT:
            self.reset()
        known = self.known
        unseen = [o for o in distinct if o not in known]
        if unseen:
            if isinstance(self.table, LemmaTable):
                strings = self.nlp.vocab.strings
                self.primed = dict(zip(unseen, self.table.lookup([strings[o] for o in unseen]), strict=True))
            kinds = [self._describe(o) for o in unseen]
            self.primed = {}
            base, end = len(known), len(known) + len(unseen)
            if end > len(self.codes):  # room for twice as many: one message's new words copy nothing
                grown = max(2 * end, 1024)
                self.codes = np.resize(self.codes, grown)
                self.lemma_of = np.resize(self.lemma_of, grown)
                self.zoned = np.resize(self.zoned, (grown, len(_ZONES)))
            known.update(zip(unseen, range(base, end), strict=True))
            lemmas = [kind[2] for kind in kinds]
            self.lemma_of[base:end] = lemmas
            self.zoned[base:end] = [[zone + lemma for zone in _ZONES] for lemma in lemmas]
            self.codes[base:end] = np.fromiter(map(_pack, kinds), dtype=np.uint8, count=len(kinds))
            self.kinds += kinds
        return np.fromiter(map(known.__getitem__, distinct), dtype=np.int64, count=len(distinct))

    def read(self, docs: list[np.ndarray]) -> tuple[list[str], list[str]]:
        """Each document's lemmas and structure tokens (each joined by spaces), from its token ids
        (``Doc.to_array(ORTH)``). One thread at a time: the cache's rows must not move under a reader."""
        with self.lock:
            return self._walk_each(docs) if len(docs) < WALK_BELOW else self._read_arrays(docs)

    def _read_arrays(self, docs: list[np.ndarray]) -> tuple[list[str], list[str]]:
        """Each document's lemmas and structure tokens (each joined by spaces), from its token ids
        (``Doc.to_array(ORTH)``): what `_lemmas_of_tokens` and `_structure` give walking its
        tokens one by one:

        - a kept token's lemma is appended; a dropped stop word is not, but can open a negation;
        - a negation's scope opens after the token that opens it and covers the kept, negatable
          tokens up to (not including) one that resets it (punctuation, "pero"), or the end;
        - a sentence begins at the first kept or dropped token after one that ends a sentence
          (a kept "?" or "!", or skipped punctuation or a line break once a lemma is kept).
        """
        n_docs = len(docs)
        orths = np.concatenate(docs) if docs else np.zeros(0, dtype=np.uint64)
        if not len(orths):
            return [""] * n_docs, [""] * n_docs
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=n_docs)
        distinct, inverse = np.unique(orths, return_inverse=True)
        rows = self._rows(distinct.tolist())
        code = self.codes[rows][inverse]
        n = len(code)
        position = np.arange(n)
        doc_first = np.cumsum(lengths) - lengths  # each document's first token
        document = np.repeat(np.arange(n_docs), lengths)
        first = doc_first[document]  # of each token: its document's first token
        kept = (code & _IS_KEPT) != 0
        skipped = (code & (_IS_KEPT | _IS_DROPPED)) == 0
        ends = (code & _ENDS) != 0
        # lemmas kept before each token in its document, and in all documents before it
        kept_through = np.cumsum(kept)
        kept_before_doc = kept_through[first] - kept[first]
        before = kept_through - kept - kept_before_doc

        # In a negation's scope: the last opening before the token comes no earlier than the last
        # reset at or before it (a token that does both resets first; a document's first token
        # counts as a reset).
        last_reset = _last_flagged(((code & _RESETS) != 0) | (position == first), strictly=False)
        last_open = _last_flagged((code & _OPENS) != 0, strictly=True)
        negated = kept & ((code & _NEGATABLE) != 0) & (last_open >= last_reset)

        # A sentence begins at a kept or dropped token when, since the previous one (or the
        # document's start), some token ended a sentence: a kept one, or a skipped one once a
        # lemma was kept.
        marks = ends & (kept | (skipped & (before > 0)))
        marks_before = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(marks, out=marks_before[1:])
        since = np.maximum(_last_flagged(~skipped, strictly=True), first)
        begins = ~skipped & (marks_before[:-1] > marks_before[since])

        # Zones (see `_structure`): sentence starts after a document's last lemma begin nothing;
        # with none left, the document is one sentence; else the first sentence, and the closing
        # zone from the start of the second-to-last sentence (of the last, with two).
        row = rows[inverse]
        lemma_doc = document[kept]
        lemma_bounds = _bounds(lemma_doc, n_docs)
        start_doc, start_at = document[begins], before[begins]
        useful = start_at < np.diff(lemma_bounds)[start_doc]
        last = np.bincount(start_doc[useful], minlength=n_docs)
        start_bounds = _bounds(start_doc, n_docs)
        padded = np.append(start_at, 0)  # a document without starts reads a harmless 0
        first_end = padded[start_bounds[:-1]]
        closing = padded[start_bounds[:-1] + np.maximum(last - 2, 0)]
        lemma_at = before[kept]  # each kept lemma's place in its document
        zone = np.where(
            last[lemma_doc] == 0,
            _SINGLE_ZONE,
            np.where(
                lemma_at < first_end[lemma_doc], _BEGIN_ZONE, np.where(lemma_at >= closing[lemma_doc], _END_ZONE, -1)
            ),
        )
        zoned = zone >= 0
        lemmas = self.lemma_of[row[kept]].tolist()
        zone_tokens = self.zoned[row[kept][zoned], zone[zoned]].tolist()
        negated_tokens = self.zoned[row[negated], _NEGATED_ZONE].tolist()
        lemma_at_doc = lemma_bounds.tolist()
        zone_bounds = _bounds(lemma_doc[zoned], n_docs).tolist()
        negated_bounds = _bounds(document[negated], n_docs).tolist()
        joined_lemmas = [" ".join(lemmas[lemma_at_doc[i] : lemma_at_doc[i + 1]]) for i in range(n_docs)]
        structure = [
            " ".join(
                zone_tokens[zone_bounds[i] : zone_bounds[i + 1]]
                + negated_tokens[negated_bounds[i] : negated_bounds[i + 1]]
            )
            for i in range(n_docs)
        ]
        return joined_lemmas, structure

    def _walk_each(self, docs: list[np.ndarray]) -> tuple[list[str], list[str]]:
        """`read` for a few documents: each walked token by token (the array operations' fixed
        cost is several documents' whole walk)."""
        ids = [doc.tolist() for doc in docs]
        self._rows(list(dict.fromkeys(chain.from_iterable(ids))))
        known, kinds = self.known, self.kinds
        joined = [_joined(*_walk([kinds[known[o]] for o in orths])) for orths in ids]
        return [j[0] for j in joined], [j[1] for j in joined]


def _joined(lemmas: list[str], starts: list[int], negated: list[int]) -> tuple[str, str]:
    """A walked document's lemmas and its structure tokens, each joined by spaces."""
    return " ".join(lemmas), " ".join(_structure(lemmas, starts, negated))


def _own_lemma(token: Token) -> str:
    """A trained pipeline's lemma of ``token``, lowercased (its text when it has none)."""
    return (token.lemma_ or token.text).lower()


def _kind(text: str, is_space: bool, is_punct: bool, drop: bool, lemma: Callable[[], str]) -> _Kind:
    """What a token means for the lemmas (see `_Kind`), from its text and spaCy's flags; ``lemma``
    gives its lemma (asked only for a content word)."""
    ends = text in _SENTENCE_END or (is_space and "\n" in text)
    if is_space:
        return (_SKIP, ends, "", False, False, False)
    if is_punct:
        kept = text in _KEPT_PUNCT  # "?" and "!" carry intent; other punctuation only ends a scope
        return (_KEEP if kept else _SKIP, ends, _fold(text) if kept else "", True, False, False)
    if is_placeholder(text):
        return (_KEEP, ends, text, False, False, False)
    folded = _fold(text)
    resets = folded in _SCOPE_END_WORDS
    if drop and folded in _STOP_WORDS:
        return (_DROP, ends, "", resets, folded in _NEGATIONS, False)
    # the lookup table's lemmas of function words are noise ("para" -> "parir")
    found = folded if folded in _FUNCTION_WORDS else _fold(lemma())
    if not found or " " in found:  # tokens are joined by single spaces for the n-grams
        found = "_".join(found.split()) or "_"
    negatable = found not in _KEPT_PUNCT and not is_placeholder(found)
    return (_KEEP, ends, found, resets, found in _NEGATIONS, negatable)


def _walk(kinds: list[_Kind]) -> tuple[list[str], list[int], list[int]]:
    """Kept lemmas, where each sentence after the first begins among them, and the positions a
    negation covers (see `_structure`), of a document's tokens given by their kinds."""
    lemmas: list[str] = []
    starts: list[int] = []
    negated: list[int] = []
    in_scope, pending = False, False
    for kind, ends, lemma, resets, opens, negatable in kinds:
        if kind == _SKIP:
            if resets:
                in_scope = False
            if ends and lemmas:
                pending = True
            continue
        if pending:
            starts.append(len(lemmas))
            pending = False
        if resets:
            in_scope = False
        if kind == _DROP:
            in_scope = in_scope or opens
            continue
        if in_scope and negatable:
            negated.append(len(lemmas))
        lemmas.append(lemma)
        if opens:
            in_scope = True
        pending = ends
    return lemmas, starts, negated


def _last_flagged(flag: np.ndarray, strictly: bool) -> np.ndarray:
    """For each position, the last flagged position at or before it (strictly before it with
    ``strictly``), or -1 when there is none."""
    flagged = np.concatenate([[-1], np.flatnonzero(flag)])
    through = np.cumsum(flag)
    return flagged[through - flag if strictly else through]


def _bounds(document: np.ndarray, n_docs: int) -> np.ndarray:
    """Where each document's entries begin in a list of entries ordered by ``document``, and the end."""
    bounds = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(document, minlength=n_docs), out=bounds[1:])
    return bounds

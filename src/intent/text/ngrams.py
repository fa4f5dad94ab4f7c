"""N-gram features for a whole batch at once, with numpy instead of a Python loop per n-gram.

scikit-learn's `TfidfVectorizer` builds every n-gram of every message as a Python string and
looks it up in a dict: for character n-grams that is most of the model's time. Here a batch
is turned into one array of code points, every n-gram into a 64-bit key computed from prefix
sums (the polynomial hash of a substring, in modular arithmetic), and the keys are matched
against the learned vocabulary's keys with a sorted search. The TF-IDF rows that come out are
the ones `TfidfVectorizer` gives for the same vocabulary and idf (`tests/test_ngrams.py` checks
it), so a model fitted with scikit-learn can be served with this.

Two analyzers are reproduced: ``char_wb`` (character n-grams inside word boundaries, words
padded with a space) and ``word`` (n-grams of space-separated tokens, joined by one space).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Final

import numpy as np
import scipy.sparse as sp

_P: Final = 0x9E3779B97F4A7C15  # odd, so it has an inverse modulo 2**64
_Q: Final = pow(_P, -1, 2**64)
_SPACE: Final = 32
_MIX1: Final = np.uint64(0xBF58476D1CE4E5B9)
_MIX2: Final = np.uint64(0x94D049BB133111EB)
#: (document, column) pairs are packed in 32 bits while documents x columns stays under this.
PACK32_LIMIT = 2**32
#: From this many documents, ``char_wb`` counts come from one sparse product (see `_WordColumns`):
#: its fixed cost is more than a few messages' whole work, its cost per message much less.
PRODUCT_FROM = 32


class _Powers:
    """P**k and Q**k modulo 2**64 for k < n, grown on demand (shared by every batch)."""

    def __init__(self) -> None:
        self.p = np.ones(1, dtype=np.uint64)
        self.q = np.ones(1, dtype=np.uint64)

    def upto(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.p) < n:
            size = max(n, 2 * len(self.p), 1 << 16)
            p = np.ones(size, dtype=np.uint64)
            q = np.ones(size, dtype=np.uint64)
            with np.errstate(over="ignore"):
                np.cumprod(np.full(size - 1, _P, dtype=np.uint64), out=p[1:])
                np.cumprod(np.full(size - 1, _Q, dtype=np.uint64), out=q[1:])
            self.p, self.q = p, q
        return self.p, self.q


_POWERS = _Powers()


@dataclass
class Buffer:
    """A batch of documents as one array of code points: ``starts[i]:starts[i+1]`` is document i."""

    codes: np.ndarray  # uint64 code points
    starts: np.ndarray  # int64, len(documents) + 1
    prefix: np.ndarray  # uint64, prefix[k] = sum of codes[j] * Q**j for j < k

    @classmethod
    def of(cls, documents: Sequence[str] | np.ndarray) -> Buffer:
        joined = "".join(documents)
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        starts = np.zeros(len(documents) + 1, dtype=np.int64)
        np.cumsum([len(d) for d in documents], out=starts[1:])
        _, q = _POWERS.upto(len(codes) + 1)
        prefix = np.zeros(len(codes) + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            np.cumsum(codes * q[: len(codes)], out=prefix[1:])
        return cls(codes, starts, prefix)

    def keys(self, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
        """The key of each substring ``codes[begin:end]`` (same text, same key, wherever it is)."""
        p, _ = _POWERS.upto(len(self.codes) + 1)
        with np.errstate(over="ignore"):
            return _finish(p[end - 1] * (self.prefix[end] - self.prefix[begin]), (end - begin).astype(np.uint64))

    def keys_of_length(self, n: int) -> np.ndarray:
        """The key of every substring of length ``n``, by start position (slices: no gathers)."""
        size = len(self.codes)
        p, _ = _POWERS.upto(size + 1)
        with np.errstate(over="ignore"):
            return _finish(p[n - 1 : size] * (self.prefix[n:] - self.prefix[: size - n + 1]), np.uint64(n))

    def document_of(self, positions: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.starts, positions, side="right") - 1

    def document_of_every_position(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.starts) - 1, dtype=np.int32), np.diff(self.starts))


def _finish(h: np.ndarray, length: np.ndarray | np.uint64) -> np.ndarray:
    """Mix the substring's length in (so n-grams of different orders never share a key) and spread
    every bit of the polynomial hash into the top bits, which pick a `KeyIndex` slot."""
    h ^= length * _MIX2
    h *= _MIX1
    h ^= h >> np.uint64(29)
    return h


def pad_words(text: str) -> str:
    """``char_wb``'s view of a text: its words, each between single spaces (empty if it has none)."""
    words = text.split()
    return f" {' '.join(words)} " if words else ""


def char_wb_grams(documents: Sequence[str] | np.ndarray, n_min: int, n_max: int) -> tuple[np.ndarray, np.ndarray]:
    """(document index, key) of every ``char_wb`` n-gram, n_min <= n <= n_max, of every document.

    From n = 2: neighbouring padded words share their space here, which only 1-grams would see.
    """
    if n_min < 2:
        raise ValueError("char_wb n-grams are computed from length 2")
    buffer = Buffer.of([pad_words(d) for d in documents])
    size = len(buffer.codes)
    is_space = buffer.codes == _SPACE
    spaces = np.zeros(size + 1, dtype=np.int32)
    np.cumsum(is_space, out=spaces[1:])
    document = buffer.document_of_every_position()
    docs_out, keys_out = [], []
    for n in range(n_min, n_max + 1):
        if size < n:
            break
        # A window [i, i+n) is an n-gram of one padded word when no space lies strictly inside it.
        # Padded words are " w1 w2 " per document, documents back to back: the only window that
        # crosses documents without an inner space is "  ", two spaces, never inside a document.
        inside = spaces[n - 1 : size] == spaces[1 : size - n + 2] if n > 2 else ~(is_space[:-1] & is_space[1:])
        keys_out.append(buffer.keys_of_length(n)[inside])
        docs_out.append(document[: size - n + 1][inside])
    if not keys_out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    return np.concatenate(docs_out), np.concatenate(keys_out)


def word_grams(documents: Sequence[str] | np.ndarray, n_min: int, n_max: int) -> tuple[np.ndarray, np.ndarray]:
    """(document index, key) of every n-gram of space-separated tokens (``token_pattern=r"[^ ]+"``).

    An n-gram's key is the key of its tokens joined by one space, as scikit-learn joins them; the
    documents must separate their tokens by single spaces (the preprocessor's output does).
    """
    buffer = Buffer.of([f"{d} " for d in documents])  # a space ends every document's last token
    is_space = buffer.codes == _SPACE
    after_space = np.ones_like(is_space)
    after_space[1:] = is_space[:-1]
    token_begin = np.flatnonzero(~is_space & after_space)
    token_end = np.flatnonzero(is_space[1:] & ~is_space[:-1]) + 1
    document = buffer.document_of(token_begin)
    docs_out, keys_out = [], []
    for n in range(n_min, n_max + 1):
        if len(token_begin) < n:
            break
        first = np.arange(len(token_begin) - n + 1)
        last = first + n - 1
        valid = document[first] == document[last]
        for k in range(1, n):  # joined by exactly one space
            valid &= token_begin[first + k] - token_end[first + k - 1] == 1
        docs_out.append(document[first[valid]])
        keys_out.append(buffer.keys(token_begin[first[valid]], token_end[last[valid]]))
    if not keys_out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    return np.concatenate(docs_out), np.concatenate(keys_out)


def pack_strings(strings: Sequence[str]) -> np.ndarray:
    """Strings as one NUL-separated UTF-8 byte array (for a model file; none of them holds a NUL)."""
    return np.frombuffer("\x00".join(strings).encode("utf-8"), dtype=np.uint8)


def unpack_strings(blob: np.ndarray) -> list[str]:
    text = blob.tobytes().decode("utf-8")
    return text.split("\x00") if text else []


def string_keys(strings: Sequence[str]) -> np.ndarray:
    """The key of each whole string, as `char_wb_grams` and `word_grams` compute it for an n-gram."""
    buffer = Buffer.of(list(strings))
    return buffer.keys(buffer.starts[:-1], buffer.starts[1:])


class KeyIndex:
    """An open-addressing hash table from 64-bit keys to columns, probed for a whole batch at once.

    A sorted search costs a cache miss per step for each of a batch's million n-grams; a table
    twice the vocabulary's size finds most keys at the first slot it looks at.
    """

    _EMPTY = np.uint64(0)

    def __init__(self, keys: np.ndarray, columns: np.ndarray) -> None:
        bits = max(4, int(np.ceil(np.log2(max(len(keys), 1) * 1.6))))  # at most 5/8 full
        self.mask = (1 << bits) - 1
        self.shift = np.uint64(64 - bits)
        self.slots = np.zeros(1 << bits, dtype=np.uint64)
        self.columns = np.full(1 << bits, -1, dtype=np.int32)
        if np.any(keys == self._EMPTY):
            raise ValueError("a vocabulary key is 0, the empty-slot marker")
        home = (keys >> self.shift).astype(np.int64)
        waiting = np.arange(len(keys))
        step = 0
        # Insert in rounds: in round r every key still waiting tries home + r. When a key lands at
        # home + r, the slots home..home+r-1 were already taken, so a lookup probing from home
        # in order meets it before any empty slot.
        while len(waiting):
            slot = (home[waiting] + step) & self.mask
            free = self.slots[slot] == self._EMPTY
            candidates, cand_slots = waiting[free], slot[free]
            _, first = np.unique(cand_slots, return_index=True)
            placed, placed_slots = candidates[first], cand_slots[first]
            self.slots[placed_slots] = keys[placed]
            self.columns[placed_slots] = columns[placed]
            taken = np.zeros(len(keys), dtype=bool)
            taken[placed] = True
            waiting = waiting[~taken[waiting]]
            step += 1
        self.probes = step

    def lookup(self, queries: np.ndarray) -> np.ndarray:
        """The column of each query key, or -1 for a key not in the vocabulary."""
        out = np.full(len(queries), -1, dtype=np.int32)
        home = (queries >> self.shift).astype(np.int64)
        pending = np.arange(len(queries))
        for step in range(self.probes):
            slot = (home[pending] + step) & self.mask
            found = self.slots[slot]
            hit = found == queries[pending]
            out[pending[hit]] = self.columns[slot[hit]]
            pending = pending[~hit & (found != self._EMPTY)]
            if not len(pending):
                break
        return out


@dataclass
class TfidfTable:
    """A fitted TF-IDF vocabulary as arrays: sorted keys, their columns, and each column's idf.

    ``transform`` gives the rows scikit-learn's `TfidfVectorizer` (``sublinear_tf=True``,
    ``norm="l2"``) gives for the same vocabulary and idf.
    """

    analyzer: str  # "char_wb" or "word"
    ngram_range: tuple[int, int]
    keys: np.ndarray  # uint64, sorted
    columns: np.ndarray  # int32, column of each key
    idf: np.ndarray  # float32, per column

    @classmethod
    def from_vectorizer(cls, vectorizer: object) -> TfidfTable:
        """Compile a fitted `TfidfVectorizer` (``char_wb`` or ``word`` with ``[^ ]+`` tokens)."""
        if vectorizer.analyzer == "char_wb" and vectorizer.ngram_range[0] < 2:  # type: ignore[attr-defined]
            raise ValueError("char_wb n-grams are computed from length 2")
        vocabulary: dict[str, int] = vectorizer.vocabulary_  # type: ignore[attr-defined]
        terms = list(vocabulary)
        keys = string_keys(terms)
        columns = np.fromiter((vocabulary[t] for t in terms), dtype=np.int32, count=len(terms))
        if len(np.unique(keys)) != len(keys):  # two n-grams with one key: never seen, but never silent
            raise ValueError("two vocabulary entries share a 64-bit key; refusing to build an ambiguous table")
        order = np.argsort(keys)
        return cls(
            analyzer=vectorizer.analyzer,  # type: ignore[attr-defined]
            ngram_range=tuple(vectorizer.ngram_range),  # type: ignore[attr-defined]
            keys=keys[order],
            columns=columns[order],
            idf=np.asarray(vectorizer.idf_, dtype=np.float32),  # type: ignore[attr-defined]
        )

    @property
    def n_features(self) -> int:
        return len(self.idf)

    def __getstate__(self) -> dict[str, object]:
        """Pickled without the caches built on first use (`index`, `words`): a copy sent to a
        worker process builds its own."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_index", "_words")}

    @property
    def index(self) -> KeyIndex:
        """The lookup table, built on first use (cheap; not stored)."""
        index = self.__dict__.get("_index")
        if index is None:
            index = self.__dict__["_index"] = KeyIndex(self.keys, self.columns)
        return index

    @property
    def words(self) -> _WordColumns:
        """The ``char_wb`` columns of each word met so far (built on first use; not stored)."""
        words = self.__dict__.get("_words")
        if words is None:
            words = self.__dict__["_words"] = _WordColumns(self)
        return words

    def transform(self, documents: Sequence[str] | np.ndarray) -> sp.csr_matrix:
        rows, indices, data = self.entries(documents)
        indptr = np.zeros(len(documents) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(documents)), out=indptr[1:])
        return sp.csr_matrix((data, indices, indptr), shape=(len(documents), self.n_features))

    def entries(self, documents: Sequence[str] | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The TF-IDF rows' non-zero entries (row, column, value), by row."""
        n_docs = len(documents)
        if self.analyzer == "char_wb":
            rows, indices, counts = self.words.counts(documents)
        else:
            document, keys = word_grams(documents, *self.ngram_range)
            rows, indices, counts = _count_pairs(document, self.index.lookup(keys), n_docs, self.n_features)
        # sublinear tf, idf, then each row scaled to unit length (scikit-learn's order of operations)
        data = (np.log(counts) + np.float32(1.0)) * self.idf[indices]
        # rows are sorted: row i's entries are data[bounds[i]:bounds[i + 1]]
        bounds = np.searchsorted(rows, np.arange(n_docs + 1))
        norms = _row_norms(data, bounds)
        norms[norms == 0] = 1.0
        data *= np.repeat((1.0 / norms).astype(np.float32), bounds[1:] - bounds[:-1])
        return rows, indices, data


def _row_norms(data: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """The L2 norm of each row's entries ``data[bounds[i]:bounds[i + 1]]`` (0 for an empty row),
    summed in float64 as scikit-learn's normalization does."""
    sums = np.zeros(len(bounds) - 1)
    filled = np.flatnonzero(bounds[1:] > bounds[:-1])
    if len(filled):
        # a filled row's sum runs to the next filled row's start: the rows between hold nothing
        sums[filled] = np.add.reduceat(np.square(data, dtype=np.float64), bounds[filled])
    return np.sqrt(sums)


def _count_pairs(
    document: np.ndarray, column: np.ndarray, n_docs: int, n_columns: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How often each (document, column) pair occurs, columns of -1 left out: (rows, columns, counts)
    by document, then column. Sorts the pairs' packed codes, then takes run lengths; 32-bit codes
    when they fit (a batch of a few hundred messages) sort about four times faster than 64-bit ones."""
    known = column >= 0
    document, column = document[known], column[known]
    bits = max(1, (n_columns - 1).bit_length())
    if n_docs << bits <= PACK32_LIMIT:
        packed = np.sort((document.astype(np.uint32) << np.uint32(bits)) | column.astype(np.uint32))
    else:
        packed = np.sort((document.astype(np.int64) << bits) | column)
    boundary = np.empty(len(packed), dtype=bool)
    boundary[:1] = True
    np.not_equal(packed[1:], packed[:-1], out=boundary[1:])
    starts = np.flatnonzero(boundary)
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1:] = len(packed)
    pairs = packed[starts]
    rows = (pairs >> packed.dtype.type(bits)).astype(np.int64)
    columns = (pairs & packed.dtype.type((1 << bits) - 1)).astype(np.int32)
    return rows, columns, (ends - starts).astype(np.float32)


class _Ids(dict[str, int]):
    """Word -> row of `_WordColumns.matrix`; -1 for a word not seen yet (instead of a KeyError)."""

    def __missing__(self, word: str) -> int:
        return -1


class _WordColumns:
    """The vocabulary columns of each distinct word's ``char_wb`` n-grams, computed once per word.

    A ``char_wb`` n-gram never crosses words, so a document's n-gram counts are the sum of its
    words', and words repeat from message to message. Each new word's columns are computed with
    the batch machinery above and kept as a row of a sparse words x columns matrix; a batch's
    counts are then one sparse product, documents x words times words x columns, in compiled code.
    """

    _LIMIT = 100_000  # distinct words kept before the cache starts again (about 15 MB)

    def __init__(self, table: TfidfTable) -> None:
        self.table = table
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.ids = _Ids()
        self.starts = np.zeros(1, dtype=np.int64)  # word i's columns: flat[starts[i]:starts[i+1]]
        self.flat = np.zeros(0, dtype=np.int32)
        self._matrix: sp.csr_matrix | None = None

    def _learn(self, words: list[str]) -> None:
        document, keys = char_wb_grams(words, *self.table.ngram_range)
        column = self.table.index.lookup(keys)
        known = column >= 0
        document, column = document[known], column[known]
        order = np.argsort(document, kind="stable")
        lengths = np.bincount(document, minlength=len(words))
        base = len(self.ids)
        for i, word in enumerate(words):
            self.ids[word] = base + i
        self.flat = np.concatenate([self.flat, column[order]])
        self.starts = np.concatenate([self.starts, self.starts[-1] + np.cumsum(lengths)])
        self._matrix = None

    @property
    def matrix(self) -> sp.csr_matrix:
        """Words x columns, how often each word holds each n-gram (a repeated one appears twice)."""
        if self._matrix is None:
            ones = np.ones(len(self.flat), dtype=np.float32)
            shape = (len(self.starts) - 1, self.table.n_features)
            self._matrix = sp.csr_matrix((ones, self.flat, self.starts), shape=shape)
        return self._matrix

    def counts(self, documents: Sequence[str] | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, column, count) of every known ``char_wb`` n-gram of every document, by row. One
        thread at a time: a word's id must not be seen before its columns are stored."""
        with self.lock:
            return self._counts(documents)

    def _counts(self, documents: Sequence[str] | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(self.ids) > self._LIMIT:
            self.reset()
        split = [d.split() for d in documents]
        per_document = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
        ids = self.ids
        total = int(per_document.sum())
        occurrences = np.fromiter(map(ids.__getitem__, chain.from_iterable(split)), np.int32, total)
        unknown = np.flatnonzero(occurrences < 0)
        if len(unknown):  # words met for the first time: their columns are computed once, here
            words = list(chain.from_iterable(split))
            new = list(dict.fromkeys(words[i] for i in unknown.tolist()))
            self._learn(new)
            occurrences[unknown] = [ids[words[i]] for i in unknown.tolist()]
        if len(split) < PRODUCT_FROM:
            return _count_pairs(*self._columns(occurrences, per_document), len(split), self.table.n_features)
        indptr = np.zeros(len(split) + 1, dtype=np.int64)
        np.cumsum(per_document, out=indptr[1:])
        ones = np.ones(len(occurrences), dtype=np.float32)
        words = sp.csr_matrix((ones, occurrences, indptr), shape=(len(split), self.matrix.shape[0]))
        product = words @ self.matrix  # counts of ones: never an explicit zero
        rows = np.repeat(np.arange(len(split), dtype=np.int64), np.diff(product.indptr))
        return rows, product.indices.astype(np.int32, copy=False), product.data

    def _columns(self, occurrences: np.ndarray, per_document: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(document, column) of every n-gram of the words in ``occurrences`` (gathered, uncounted)."""
        begin, end = self.starts[occurrences], self.starts[occurrences + 1]
        document = np.repeat(np.arange(len(per_document)), per_document)
        nonempty = end > begin
        begin, end, document = begin[nonempty], end[nonempty], document[nonempty]
        lengths = end - begin
        if not len(lengths):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        # the positions begin[k], begin[k]+1, ..., end[k]-1 of every occurrence, one after another:
        # a running sum of ones that jumps from one occurrence's end to the next one's beginning
        step = np.ones(int(lengths.sum()), dtype=np.int64)
        heads = np.cumsum(lengths) - lengths
        step[0] = begin[0]
        step[heads[1:]] = begin[1:] - end[:-1] + 1
        return np.repeat(document, lengths), self.flat[np.cumsum(step)]

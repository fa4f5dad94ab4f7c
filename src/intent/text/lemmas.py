"""A saved model's own lookup lemmas, kept small.

A model keeps only the lookup entries its vocabulary can use (`SpacyPreprocessor.lemma_subset`):
tens of thousands of inflected forms, mapped to a few thousand lemmas. As a dict of strings they
would be most of a loaded model's memory; here the forms are 64-bit keys in a sorted array and
each points into the list of distinct lemmas. Looking up a batch of new tokens is one vectorized
search.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from intent.text.ngrams import pack_strings, string_keys, unpack_strings


class LemmaTable:
    """form -> lemma, for the forms a model needs; any other form is its own lemma."""

    def __init__(self, keys: np.ndarray, which: np.ndarray, lemmas: list[str]) -> None:
        self.keys = keys  # uint64, sorted: the key of each form
        self.which = which  # int32: the lemma of each form, as an index into ``lemmas``
        self.lemmas = lemmas

    @classmethod
    def of(cls, entries: dict[str, str]) -> LemmaTable:
        distinct = sorted(set(entries.values()))
        position = {lemma: i for i, lemma in enumerate(distinct)}
        forms = list(entries)
        keys = string_keys(forms) if forms else np.zeros(0, dtype=np.uint64)
        if len(np.unique(keys)) != len(keys):
            raise ValueError("two forms share a 64-bit key; refusing to build an ambiguous table")
        order = np.argsort(keys)
        which = np.fromiter((position[entries[f]] for f in forms), dtype=np.int32, count=len(forms))
        return cls(keys[order], which[order], distinct)

    @classmethod
    def from_arrays(cls, keys: np.ndarray, which: np.ndarray, lemmas: np.ndarray) -> LemmaTable:
        return cls(keys, which, unpack_strings(lemmas))

    def arrays(self) -> dict[str, np.ndarray]:
        return {"keys": self.keys, "which": self.which, "lemmas": pack_strings(self.lemmas)}

    def __len__(self) -> int:
        return len(self.keys)

    def lookup(self, forms: Sequence[str]) -> list[str]:
        """The lemma of each form (the form itself when the table has none)."""
        if not forms or not len(self.keys):
            return list(forms)
        keys = string_keys(forms)
        where = np.searchsorted(self.keys, keys)
        where[where == len(self.keys)] = 0
        found = self.keys[where] == keys
        lemmas = self.lemmas
        which = self.which[where].tolist()
        return [lemmas[w] if hit else form for form, hit, w in zip(forms, found.tolist(), which, strict=True)]

    def get(self, form: str, default: str | None = None) -> str:
        lemma = self.lookup([form])[0]
        return lemma if lemma != form or default is None else default

"""Baselines measured in the same run as the model: what a user would get without intent.

- majority class: always the most frequent training label;
- TF-IDF + logistic regression on the raw text, without spaCy or normalization;
- spaCy's own `textcat` (its default architecture), trained on the same data.
Each reports its test scores, training time and throughput on the test messages.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from intent.config import LABELS
from intent.report.metrics import evaluate

#: Messages timed per throughput measurement (the test set repeated as needed).
THROUGHPUT_MESSAGES = 5000


def throughput(predict: Callable[[list[str]], Sequence[str]], texts: Sequence[str]) -> float:
    """Messages per second of ``predict`` over the texts, repeated to about 5,000 messages."""
    batch = list(texts) * max(1, THROUGHPUT_MESSAGES // max(1, len(texts)))
    start = time.perf_counter()
    for i in range(0, len(batch), 1000):
        predict(batch[i : i + 1000])
    return len(batch) / (time.perf_counter() - start)


def _scored(
    fit: Callable[[], Callable[[list[str]], Sequence[str]]], test_texts: Sequence[str], test_labels: Sequence[str]
) -> dict[str, Any]:
    start = time.perf_counter()
    predict = fit()
    seconds = time.perf_counter() - start
    return {
        **evaluate(test_labels, list(predict(list(test_texts)))),
        "train_seconds": seconds,
        "messages_per_second": throughput(predict, test_texts),
    }


def sklearn_baselines(
    train_texts: list[str], train_labels: list[str], test_texts: list[str], test_labels: list[str], seed: int
) -> dict[str, dict[str, Any]]:
    candidates = {
        "majority_class": make_pipeline(DummyClassifier(strategy="most_frequent")),
        "tfidf_logreg_no_spacy": make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=5000, random_state=seed)),
    }
    out = {}
    for name, pipe in candidates.items():

        def fit(pipe: Any = pipe) -> Callable[[list[str]], Sequence[str]]:
            pipe.fit(train_texts, train_labels)
            return pipe.predict

        out[name] = _scored(fit, test_texts, test_labels)
    return out


def train_textcat(texts: list[str], labels: list[str], epochs: int = 5, seed: int = 13) -> Any:
    """spaCy's default `textcat` (exclusive labels) on a blank Spanish pipeline."""
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch

    fix_random_seed(seed)
    nlp = spacy.blank("es")
    textcat = nlp.add_pipe("textcat")
    for label in LABELS:
        textcat.add_label(label)  # type: ignore[attr-defined]
    examples = [
        Example.from_dict(nlp.make_doc(t), {"cats": {label: float(label == y) for label in LABELS}})
        for t, y in zip(texts, labels, strict=True)
    ]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=32):
            nlp.update(batch, sgd=optimizer)
    return nlp


def fit_textcat(train_texts: list[str], train_labels: list[str], epochs: int = 5, seed: int = 13) -> dict[str, Any]:
    """spaCy's textcat trained once (its time recorded), to be scored on several held-out sets."""
    start = time.perf_counter()
    nlp = train_textcat(train_texts, train_labels, epochs, seed)
    return {"nlp": nlp, "train_seconds": time.perf_counter() - start, "epochs": epochs}


def score_textcat(fitted: dict[str, Any], test_texts: Sequence[str], test_labels: Sequence[str]) -> dict[str, Any]:
    nlp = fitted["nlp"]

    def predict(texts: list[str]) -> list[str]:
        return [max(doc.cats, key=doc.cats.__getitem__) for doc in nlp.pipe(texts, batch_size=256)]

    return {
        **evaluate(list(test_labels), predict(list(test_texts))),
        "train_seconds": fitted["train_seconds"],
        "messages_per_second": throughput(predict, test_texts),
        "epochs": fitted["epochs"],
    }

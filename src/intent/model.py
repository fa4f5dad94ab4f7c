"""The model: one scikit-learn Pipeline (preprocess -> features -> linear classifier), and
`IntentModel`, which turns its probabilities into labels, confidences and abstentions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

import numpy as np

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

from intent.config import DEFAULT_SPACY_MODEL, LABELS, MAX_CHARS, RANDOM_SEED
from intent.linear import LinearProbabilities
from intent.text.features import TextFeatures
from intent.text.language import SUPPORTED as SUPPORTED_LANGUAGES
from intent.text.language import identify, is_supported, spanish_evidence
from intent.text.normalize import has_content
from intent.text.preprocess import NORMALIZED, SpacyPreprocessor, check_texts

CLASSIFIERS = ("logreg", "svm")


def build_classifier(kind: str = "logreg", C: float = 1.0, seed: int = RANDOM_SEED) -> Any:
    """A linear classifier with probabilities.

    ``logreg`` is multinomial logistic regression (probabilities from its own loss);
    ``svm`` is a linear SVM calibrated with Platt scaling over 3 internal folds. (Imported here:
    predicting never needs them, and they cost a fifth of a second at every start.)
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC

    if kind == "logreg":
        return LogisticRegression(C=C, max_iter=5000, random_state=seed)
    if kind == "svm":
        return CalibratedClassifierCV(
            LinearSVC(C=C, random_state=seed),
            method="sigmoid",
            cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=seed),
        )
    raise ValueError(f"unknown classifier {kind!r}; choose one of {CLASSIFIERS}")


def build_pipeline(
    spacy_model: str = DEFAULT_SPACY_MODEL,
    drop_stopwords: bool = True,
    word_ngram_range: tuple[int, int] = (1, 2),
    char_ngram_range: tuple[int, int] = (2, 5),
    classifier: str = "logreg",
    C: float = 1.0,
    seed: int = RANDOM_SEED,
    structure: bool = True,
) -> Pipeline:
    """The whole model as one Pipeline; its steps are named preprocess, features, classifier."""
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [
            ("preprocess", SpacyPreprocessor(spacy_model=spacy_model, drop_stopwords=drop_stopwords)),
            ("features", TextFeatures(word_ngram_range, char_ngram_range, structure=structure)),
            ("classifier", LinearProbabilities(build_classifier(classifier, C, seed))),
        ]
    )


@dataclass(frozen=True)
class Prediction:
    """One message's result.

    ``label`` is None only when there was nothing to classify (``status == "empty"``).
    ``uncertain`` is True when ``confidence`` is under the model's threshold, or when the
    message is not in a supported language: a label is still given, but a person should
    check it. ``status`` is ``ok``, ``empty`` (nothing to classify: see `has_content`),
    ``truncated`` (longer than the length cap; only the start was read) or ``other_language``
    (which wins when both hold). ``truncated`` says whether the text was cut, whatever the
    status. ``language`` is the ISO 639-1 code found (``und`` when too short to tell, ``""``
    when identification was turned off).
    """

    label: str | None
    confidence: float
    probabilities: dict[str, float] = field(default_factory=dict)
    uncertain: bool = False
    status: str = "ok"
    language: str = ""
    truncated: bool = False


def _empty_positions(texts: list[str]) -> list[int]:
    return [i for i, t in enumerate(texts) if not has_content(t)]


class IntentModel:
    """A trained pipeline plus what it needs at prediction time: label order and threshold.

    Parameters
    ----------
    pipeline:
        A fitted `build_pipeline` Pipeline, or its (name, step) pairs: preprocess, features,
        classifier. Predicting calls the steps directly; the scikit-learn `Pipeline` itself is
        built only when asked for (`pipeline`), so a process that only predicts never imports
        scikit-learn (see `intent.estimator`).
    threshold:
        Confidence under which a prediction is flagged ``uncertain``.
    metadata:
        Training facts (versions, data hash, metrics), stored beside the model.
    """

    def __init__(
        self,
        pipeline: Pipeline | Sequence[tuple[str, Any]],
        threshold: float = 0.5,
        metadata: dict[str, Any] | None = None,
    ):
        self._pipeline = pipeline if hasattr(pipeline, "steps") else None
        self.steps: dict[str, Any] = dict(pipeline.steps if hasattr(pipeline, "steps") else pipeline)
        self.threshold = threshold
        self.metadata = dict(metadata or {})
        classes = [str(c) for c in self.steps["classifier"].classes_]
        if sorted(classes) != sorted(LABELS):
            raise ValueError(f"model was trained on labels {classes}, expected {list(LABELS)}")
        self._order = np.array([classes.index(label) for label in LABELS])

    @property
    def pipeline(self) -> Pipeline:
        """The model as one scikit-learn Pipeline (built on first use for a loaded model)."""
        if self._pipeline is None:
            from sklearn.pipeline import Pipeline

            self._pipeline = Pipeline(list(self.steps.items()))
        return self._pipeline

    def __setstate__(self, state: dict[str, Any]) -> None:
        """First-format files pickled the model with its Pipeline under ``pipeline``."""
        if "pipeline" in state:
            pipeline = state.pop("pipeline")
            state["_pipeline"], state["steps"] = pipeline, dict(pipeline.steps)
        self.__dict__.update(state)

    @property
    def labels(self) -> tuple[str, ...]:
        return LABELS

    def with_threshold(self, threshold: float | None) -> IntentModel:
        """This model with another uncertainty threshold (a copy sharing the pipeline); None: itself."""
        if threshold is None:
            return self
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        shared = self._pipeline if self._pipeline is not None else list(self.steps.items())
        return IntentModel(shared, threshold, self.metadata)

    #: Messages featurized together: enough that each step's fixed cost (a sparse product, a sort)
    #: is spread thin, few enough that a huge call's arrays stay small (tens of MB).
    CHUNK = 1000

    def _proba(self, texts: list[str]) -> np.ndarray:
        return self._proba_and_texts(texts)[0]

    def _proba_and_texts(self, texts: list[str]) -> tuple[np.ndarray, list[str]]:
        """Probabilities in `LABELS` order, and each message's normalized text (to reuse it)."""
        if not texts:
            return np.zeros((0, len(LABELS))), []
        # The steps are called directly: the same computation as Pipeline.predict_proba without
        # its per-call checks, which are most of the latency of a single message.
        pre, features, classifier = self.steps["preprocess"], self.steps["features"], self.steps["classifier"]
        parts, normalized = [], []
        for start in range(0, len(texts), self.CHUNK):
            X = pre.transform(texts[start : start + self.CHUNK])
            parts.append(classifier.predict_proba(features.transform(X)))
            normalized += X[:, NORMALIZED].tolist()
        proba = np.vstack(parts) if len(parts) > 1 else parts[0]
        return np.asarray(proba)[:, self._order], normalized

    @overload
    def predict(self, texts: str) -> str: ...  # type: ignore[overload-overlap]
    @overload
    def predict(self, texts: Iterable[str]) -> list[str]: ...
    def predict(self, texts: str | Iterable[str]) -> str | list[str]:
        """Label one message (str -> str) or many (iterable -> list).

        Empty or whitespace-only messages raise ValueError: intent never guesses on
        nothing. Use `classify` to get a per-message status instead.
        """
        single = isinstance(texts, str)
        batch = check_texts([texts] if single else texts)
        empty = _empty_positions(batch)
        if empty:
            where = "the message" if single else f"message at position {empty[0]}"
            raise ValueError(
                f"{where} is empty once cleaned (blank, or only markup, invisible or control characters); "
                "there is nothing to classify. Use classify() for a per-message status instead."
            )
        labels = [LABELS[i] for i in self._proba(batch).argmax(axis=1)]
        return labels[0] if single else labels

    def predict_proba(self, texts: str | Iterable[str]) -> np.ndarray:
        """Probabilities in `LABELS` order: shape (3,) for one message, (n, 3) for many."""
        single = isinstance(texts, str)
        batch = check_texts([texts] if single else texts)
        empty = _empty_positions(batch)
        if empty:
            raise ValueError(f"message at position {empty[0]} is empty; there is nothing to classify")
        proba = self._proba(batch)
        return proba[0] if single else proba

    @overload
    def classify(  # type: ignore[overload-overlap]
        self, texts: str, languages: tuple[str, ...] | None = SUPPORTED_LANGUAGES
    ) -> Prediction: ...
    @overload
    def classify(
        self, texts: Iterable[str], languages: tuple[str, ...] | None = SUPPORTED_LANGUAGES
    ) -> list[Prediction]: ...
    def classify(
        self, texts: str | Iterable[str], languages: tuple[str, ...] | None = SUPPORTED_LANGUAGES
    ) -> Prediction | list[Prediction]:
        """Full results: label, confidence, probabilities, uncertain flag, status and language.

        ``languages`` lists the ISO 639-1 codes treated as supported (Spanish by default);
        other messages get status ``other_language`` and are flagged uncertain, with a label
        all the same. ``None`` skips language identification (faster).
        """
        single = isinstance(texts, str)
        batch = check_texts([texts] if single else texts)
        results: list[Prediction | None] = [None] * len(batch)
        todo = []
        for i, text in enumerate(batch):
            if has_content(text):
                todo.append(i)
            else:
                results[i] = Prediction(label=None, confidence=0.0, uncertain=True, status="empty")
        proba, normalized = self._proba_and_texts([batch[i] for i in todo])
        for row, i, seen in zip(proba, todo, normalized, strict=True):
            best = int(row.argmax())
            confidence = float(row[best])
            # The model's own normalized text tells most Spanish messages at a glance; only the
            # others go through full identification.
            language = "" if languages is None else "es" if spanish_evidence(seen) else identify(batch[i])
            foreign = languages is not None and not is_supported(language, languages)
            truncated = len(batch[i]) > MAX_CHARS
            status = "other_language" if foreign else "truncated" if truncated else "ok"
            results[i] = Prediction(
                label=LABELS[best],
                confidence=confidence,
                probabilities={label: float(p) for label, p in zip(LABELS, row, strict=True)},
                uncertain=foreign or confidence < self.threshold,
                status=status,
                language=language,
                truncated=truncated,
            )
        done = [r for r in results if r is not None]
        return done[0] if single else done

    def __repr__(self) -> str:
        return f"IntentModel(threshold={self.threshold:.3f}, spacy={self.spacy_model!r})"

    @property
    def spacy_model(self) -> str:
        return str(self.steps["preprocess"].spacy_model)

"""Why a message got its label: the features that pushed it most, in readable words.

The model is linear, so each feature's push towards a label is its TF-IDF value times the
label's weight (minus the average over labels: what favours this label over the others).
Lemma n-grams are shown as they are; character n-grams are grouped under the words of the
message they came from, so "xxurl", "15 minuto" and "demo" read better than "emo ".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from intent.config import LABELS, PLACEHOLDERS
from intent.text.normalize import has_content
from intent.text.preprocess import BEGIN, END, NEGATED, SINGLE, TEXT

if TYPE_CHECKING:
    from intent.model import IntentModel

_PUNCT = "¿?¡!.,;:\"'()[]«»…"
_PLACEHOLDER_NAMES = {token: name.upper() for name, token in PLACEHOLDERS.items()}


@dataclass(frozen=True)
class Contribution:
    feature: str  # a lemma n-gram, or a word of the message (for grouped character n-grams)
    kind: str  # "lemmas", "characters" or "structure" (where a lemma sits, or that a negation covers it)
    weight: float  # push towards the label (positive) or away from it (negative)


@dataclass(frozen=True)
class Explanation:
    label: str
    probabilities: dict[str, float]
    placeholders: list[str]  # which specifics were found: URL, MONEY, EMAIL…
    contributions: dict[str, list[Contribution]] = field(default_factory=dict)  # per label

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "probabilities": self.probabilities,
            "placeholders": self.placeholders,
            "contributions": {label: [c.__dict__ for c in items] for label, items in self.contributions.items()},
        }


def linear_weights(classifier: Any, classes: list[str]) -> np.ndarray:
    """(n_labels, n_features) weights in `LABELS` order, for logistic regression or calibrated SVMs."""
    if hasattr(classifier, "coef_"):
        coef = np.asarray(classifier.coef_)
    elif hasattr(classifier, "estimators_"):  # a soft vote: the average of its members' weights
        return np.mean([linear_weights(member, classes) for member in classifier.estimators_], axis=0)
    else:  # CalibratedClassifierCV: average the linear models it calibrated
        coef = np.mean([np.asarray(c.estimator.coef_) for c in classifier.calibrated_classifiers_], axis=0)
    if coef.shape[0] == 1:  # binary models store one row
        coef = np.vstack([-coef[0], coef[0]])
    return coef[[classes.index(label) for label in LABELS]]


def _word_spans(text: str) -> list[tuple[int, int, str]]:
    spans, start = [], None
    for i, ch in enumerate(text + " "):
        if ch.isspace():
            if start is not None:
                spans.append((start, i, text[start:i]))
                start = None
        elif start is None:
            start = i
    return spans


def _owner_words(text: str, gram: str) -> list[str]:
    """The words of ``text`` a char_wb n-gram can come from (it is padded with spaces)."""
    core = gram.strip()
    if not core:
        return []
    owners = []
    for _, _, word in _word_spans(text):
        padded = f" {word} "
        if gram in padded:
            owners.append(word.strip(_PUNCT) or word)
    return owners or [core]


_ZONES = {BEGIN: "al principio", END: "al final", SINGLE: "en la única frase", NEGATED: "negado"}


def _structure_name(token: str) -> str:
    """A structure token in words: "e_demo" -> "demo (al final)", "n_interesar" -> "interesar (negado)"."""
    for prefix, where in _ZONES.items():
        if token.startswith(prefix):
            return f"{token[len(prefix) :]} ({where})"
    return token


def explain(model: IntentModel, text: str, top: int = 10, all_labels: bool = False) -> Explanation:
    """The ``top`` features that pushed ``text`` towards its label (or towards each label)."""
    if not isinstance(text, str):
        raise TypeError(f"expected a string, got {type(text).__name__}")
    if not has_content(text):
        raise ValueError("the message is empty once cleaned; there is nothing to explain")
    pre, features, classifier = (model.steps[s] for s in ("preprocess", "features", "classifier"))
    processed = pre.transform([text])
    x = features.transform(processed).tocsr()
    weights = linear_weights(classifier, list(classifier.classes_))
    relative = weights - weights.mean(axis=0, keepdims=True)  # push towards a label over the others
    names = features.get_feature_names_out()
    proba = model.predict_proba(text)
    label = LABELS[int(np.argmax(proba))]
    normalized = str(processed[0, TEXT])
    placeholders = sorted({_PLACEHOLDER_NAMES[t] for t in normalized.split() if t in _PLACEHOLDER_NAMES})
    targets = LABELS if all_labels else (label,)
    contributions = {}
    for target in targets:
        row = relative[LABELS.index(target)]
        grouped: dict[tuple[str, str], float] = defaultdict(float)
        for j, value in zip(x.indices, x.data, strict=True):
            push = float(value * row[j])
            kind, _, gram = str(names[j]).partition("__")
            if kind == "words":
                grouped[(gram, "lemmas")] += push
            elif kind == "struct":
                grouped[(_structure_name(gram), "structure")] += push
            else:
                owners = _owner_words(normalized, gram)
                for word in owners:
                    grouped[(word, "characters")] += push / len(owners)
        ranked = sorted(grouped.items(), key=lambda kv: -abs(kv[1]))[:top]
        contributions[target] = [Contribution(f, k, round(w, 4)) for (f, k), w in ranked]
    return Explanation(
        label=label,
        probabilities={lab: float(p) for lab, p in zip(LABELS, proba, strict=True)},
        placeholders=placeholders,
        contributions=contributions,
    )


def format_explanation(exp: Explanation) -> str:
    """Plain text for the terminal."""
    probs = "  ".join(f"{label}={p:.2f}" for label, p in exp.probabilities.items())
    lines = [f"{exp.label}  ({probs})"]
    if exp.placeholders:
        lines.append(f"found: {', '.join(exp.placeholders)}")
    for label, items in exp.contributions.items():
        lines.append(f"\nwhat pushed towards {label} (+) or away from it (-):")
        for c in items:
            lines.append(f"  {c.weight:+.3f}  {c.feature}  [{c.kind}]")
    return "\n".join(lines)

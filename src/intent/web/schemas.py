"""The JSON shapes of the HTTP API; FastAPI turns them into the OpenAPI schema at /api/openapi.json."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from intent.config import LABELS


class ClassifyRequest(BaseModel):
    texts: list[str] = Field(
        min_length=1,
        description="Messages to classify. Empty ones get status 'empty' and no label.",
        examples=[
            ["Hola, ¿tienes 15 minutos para una demo de nuestro CRM?", "No sé por qué querrías conectar conmigo"]
        ],
    )
    threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        allow_inf_nan=False,
        description="Flag as uncertain below this confidence (default: the model's).",
    )
    language_id: bool = Field(default=True, description="Identify the language; non-Spanish messages are flagged.")


class PredictionOut(BaseModel):
    label: str | None = Field(description=f"One of {', '.join(LABELS)}; null when the text is empty.")
    confidence: float = Field(description="Probability of the label, 0 to 1.")
    probabilities: dict[str, float] = Field(description="Probability per label.")
    uncertain: bool = Field(description="Below the threshold, or not in Spanish: a person should check it.")
    status: Literal["ok", "empty", "truncated", "other_language"]
    language: str = Field(description="ISO 639-1 code found ('und': too short to tell; '': not identified).")
    truncated: bool = Field(
        default=False, description="The text was longer than the model reads: only its start was classified."
    )


class ClassifyResponse(BaseModel):
    model: str
    predictions: list[PredictionOut]


class ExplainRequest(BaseModel):
    text: str = Field(min_length=1, description="One message.")
    top: int = Field(default=10, ge=1, le=50, description="Features to return per label.")
    all_labels: bool = Field(default=False, description="Explain every label, not only the predicted one.")


class ContributionOut(BaseModel):
    feature: str = Field(
        description="A lemma n-gram, a word of the message its character n-grams came from, or a lemma with where it "
        "sits (al principio, al final) or that a negation covers it (negado)."
    )
    kind: Literal["lemmas", "characters", "structure"]
    weight: float = Field(description="Push towards the label (positive) or away from it (negative).")


class ExplainResponse(BaseModel):
    label: str
    probabilities: dict[str, float]
    placeholders: list[str] = Field(description="Specifics found in the text: URL, MONEY, EMAIL…")
    contributions: dict[str, list[ContributionOut]]


class ModelInfo(BaseModel):
    name: str
    version: str = Field(description="intent version the model was trained with.")
    trained_at: str | None
    sha256: str | None
    threshold: float


class Limits(BaseModel):
    max_upload_bytes: int
    max_texts: int
    max_chars: int = Field(description="Characters of text in one /api/classify or /api/explain request.")


class HealthResponse(BaseModel):
    status: Literal["ok"]
    model: ModelInfo
    labels: list[str]
    label_names: dict[str, str] = Field(description="Spanish names for people.")
    limits: Limits


class JobStatus(BaseModel):
    id: str
    filename: str
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: float = Field(description="Share of the input read, 0 to 1.")
    rows: int
    error: str | None


class ErrorResponse(BaseModel):
    detail: str
    code: str
    columns: list[str] | None = None

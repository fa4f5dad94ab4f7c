"""The JSON shapes of the HTTP API; FastAPI turns them into the OpenAPI schema at /api/openapi.json."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from intent.config import LABELS

Label = Literal["spam_sales", "genuine_networking", "gatekeeping_rejection"]


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
    kind: Literal["shipped", "personal", "custom"] = Field(
        description="shipped: the model that comes with intent; personal: trained from the page's corrections; "
        "custom: another one (e.g. `intent train --data`)."
    )
    path: str = Field(description="The model file.")
    default: bool = Field(description="It is the model the server was started with.")


class PersonalInfo(BaseModel):
    dir: str = Field(description="Where personal models are saved (`intent serve --personal-dir`).")
    min_corrections: int = Field(description="Fewest corrections a personal model is trained from.")
    weight: float = Field(description="How many corpus messages each correction counts as.")


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
    personal: PersonalInfo


class JobStatus(BaseModel):
    id: str
    filename: str
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: float = Field(description="Share of the input read, 0 to 1.")
    rows: int
    error: str | None
    error_code: str | None = Field(
        None,
        description="The error in a stable word: the input's problem (e.g. bad_row, not_csv), job_memory, "
        "run_died or internal.",
    )


class ErrorResponse(BaseModel):
    detail: str = Field(description="What is wrong and how to fix it, in English, for programs and logs.")
    code: str = Field(
        description="The problem in a stable word, for a client to say in its own words: e.g. empty_file, "
        "not_csv, damaged_zip, encrypted_zip, no_export_files, bad_row, duplicate_columns, text_column, "
        "too_large, too_many_texts, busy, cross_site, not_found, not_ready, bad_input."
    )
    columns: list[str] | None = None


class CorrectionRequest(BaseModel):
    """Set (or clear) the right label of one message or of one conversation."""

    row: int | None = Field(default=None, ge=0, description="A message: its position in the file (the rows' n).")
    conversation: str | None = Field(
        default=None,
        description="A conversation of LinkedIn's export (its id): what the other party wants from the whole thread. "
        "It is learned as one example, their messages joined in order.",
    )
    label: Label | None = Field(description="The right label; null removes the correction.")

    @model_validator(mode="after")
    def _one_target(self) -> CorrectionRequest:
        if (self.row is None) == (self.conversation is None):
            raise ValueError("give either row or conversation")
        return self


class CorrectionsState(BaseModel):
    count: int = Field(description="Corrections made.")
    examples: int = Field(
        description="Distinct texts among them: what a personal model learns from (a message corrected alone and "
        "as its one-message conversation is one text; the last label given wins)."
    )
    min_for_training: int
    rows: dict[str, Label] = Field(description="Corrected messages: row number -> label.")
    conversations: dict[str, Label] = Field(description="Corrected conversations: id -> label.")


class TrainRequest(BaseModel):
    job: str = Field(description="The file (job id) whose corrections to train on.")


class TrainingStage(BaseModel):
    name: Literal["corpus", "preprocess", "cross_validation", "final", "held_out", "save", "relabel"]
    done: bool
    progress: float


class PersonalModelFile(BaseModel):
    name: str
    path: str = Field(
        description="The model file; use it with `intent classify --model`, `intent serve --model` or INTENT_MODEL."
    )
    card: str = Field(description="Its model card.")
    folder: str
    sha256: str
    threshold: float


class BaseFigures(BaseModel):
    name: str
    kind: Literal["shipped", "personal", "custom"]
    right: int = Field(description="Corrected messages the base model labels right.")
    sure: int = Field(description="Of those, how many it does not flag as uncertain.")


class PersonalFigures(BaseModel):
    right: int = Field(
        description="Corrected messages the personal model labels right under cross-validation: each predicted by a "
        "model trained without it (and without its sender's other corrections)."
    )
    sure: int = Field(description="Of those, how many it would not flag as uncertain (the base model's threshold).")


class HeldOutFigures(BaseModel):
    n: int
    base_macro_f1: float
    personal_macro_f1: float


class ChangedRow(BaseModel):
    n: int = Field(description="The row (position in the file).")
    before: Label
    after: Label


class Changed(BaseModel):
    count: int = Field(description="Rows not corrected whose label changes.")
    compared: int = Field(description="Rows not corrected that have a label.")
    rows: list[ChangedRow]


class TrainingResult(BaseModel):
    model: PersonalModelFile
    corrections: int
    counts: dict[str, int]
    weight: float
    folds: int
    grouped_by: Literal["sender", "message"] = Field(description="What the folds keep together.")
    base: BaseFigures
    personal: PersonalFigures
    held_out: dict[str, HeldOutFigures] = Field(description="Macro-F1 on intent's held-out sets, both models.")
    changed: Changed


class TrainingStatus(BaseModel):
    id: str
    job: str
    state: Literal["running", "done", "failed", "cancelled"]
    stage: str
    stages: list[TrainingStage]
    progress: float = Field(description="0 to 1, over every stage.")
    corrections: int
    seconds: float
    error: str | None
    result: TrainingResult | None


class UseModelRequest(BaseModel):
    use: Literal["personal", "default"] = Field(
        description="personal: the model a finished training saved; default: the one the server was started with."
    )
    training: str | None = Field(default=None, description="The training whose model to use (for personal).")
    job: str | None = Field(default=None, description="A file to show under that model's labels.")


class UseModelResponse(BaseModel):
    model: ModelInfo
    relabeled: bool = Field(description="The file's labels are now the chosen model's.")

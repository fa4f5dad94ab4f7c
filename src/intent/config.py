"""Constants, labels, paths and defaults: defined once, imported everywhere."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Final

#: The three intents, in the fixed order used for probabilities and reports.
LABELS: Final[tuple[str, ...]] = (
    "spam_sales",
    "genuine_networking",
    "gatekeeping_rejection",
)

#: Short Spanish names for people reading reports.
LABEL_NAMES_ES: Final[dict[str, str]] = {
    "spam_sales": "Venta / spam",
    "genuine_networking": "Networking genuino",
    "gatekeeping_rejection": "Rechazo",
}

#: What people write in a label column, mapped to the canonical names (lowercase, "_" for spaces).
LABEL_ALIASES: Final[dict[str, str]] = {
    "spam": "spam_sales",
    "sales": "spam_sales",
    "venta": "spam_sales",
    "ventas": "spam_sales",
    "spam_venta": "spam_sales",
    "spam/venta": "spam_sales",
    "networking": "genuine_networking",
    "genuine": "genuine_networking",
    "networking_genuino": "genuine_networking",
    "genuino": "genuine_networking",
    "rechazo": "gatekeeping_rejection",
    "rejection": "gatekeeping_rejection",
    "gatekeeping": "gatekeeping_rejection",
    "rechazo/gatekeeping": "gatekeeping_rejection",
}

PACKAGE_DIR: Final[Path] = Path(__file__).resolve().parent
#: Repository root when running from a source checkout (src layout); meaningless once installed.
PROJECT_DIR: Final[Path] = PACKAGE_DIR.parent.parent
#: True in a source checkout (an editable install or the tests), False in an installed wheel.
IN_CHECKOUT: Final[bool] = PACKAGE_DIR.parent.name == "src" and (PROJECT_DIR / "pyproject.toml").is_file()

#: The shipped corpus travels inside wheels as intent/_data/ (the build copies it in); in a
#: checkout it is read from data/, which stays the source of truth.
PACKAGED_DATA_DIR: Final[Path] = PACKAGE_DIR / "_data"
DATA_DIR: Final[Path] = PACKAGED_DATA_DIR if PACKAGED_DATA_DIR.is_dir() else PROJECT_DIR / "data"
TRAIN_CSV: Final[Path] = DATA_DIR / "train.csv"
TEST_CSV: Final[Path] = DATA_DIR / "test.csv"
#: Hard cases written apart: split=dev may choose models and the threshold, split=test is only reported.
CHALLENGE_CSV: Final[Path] = DATA_DIR / "challenge.csv"
#: The files above, read with their own columns whatever --text-column/--label-column say.
SHIPPED_DATA: Final[tuple[Path, ...]] = (TRAIN_CSV, TEST_CSV, CHALLENGE_CSV)

#: What commands write goes under the current folder (relative paths), never inside the package.
MODELS_DIR: Final[Path] = Path("models")
REPORTS_DIR: Final[Path] = Path("reports")
#: The checkout's own models/, where `make train` writes the shipped model (committed).
CHECKOUT_MODELS_DIR: Final[Path] = PROJECT_DIR / "models"

#: A small LinkedIn export (messages.csv, Invitations.csv) to show `intent classify` on.
SAMPLE_EXPORT: Final[Path] = PACKAGE_DIR / "samples" / "linkedin_export"

MODEL_NAME: Final[str] = "intent-es"
#: Where `intent train` on the shipped corpus writes its model (``make train``: the checkout's models/).
DEFAULT_MODEL_OUTPUT: Final[Path] = MODELS_DIR / f"{MODEL_NAME}.joblib"
#: Where `intent train --data …` writes a model trained on a user's messages.
CUSTOM_MODEL_OUTPUT: Final[Path] = MODELS_DIR / "intent-custom.joblib"
#: The shipped model in a checkout (editable installs, the tests).
CHECKOUT_MODEL_PATH: Final[Path] = CHECKOUT_MODELS_DIR / f"{MODEL_NAME}.joblib"
#: Where a wheel carries the same file (the build copies it in), so `pip install .` works too.
PACKAGED_MODEL_PATH: Final[Path] = PACKAGE_DIR / "_model" / f"{MODEL_NAME}.joblib"
#: Environment variable that points `predict()` at another model file.
MODEL_ENV_VAR: Final[str] = "INTENT_MODEL"

#: Default spaCy pipeline: a blank Spanish pipeline plus lookup lemmas (no download needed).
DEFAULT_SPACY_MODEL: Final[str] = "blank:es"

#: Messages longer than this are truncated before processing (and flagged by `classify`).
MAX_CHARS: Final[int] = 20_000
#: Language identification reads at most this start of a message: plenty to tell a language, and
#: it bounds the cost of a huge message (the detector's time grows with the text).
LANGUAGE_ID_CHARS: Final[int] = 2_000
#: A CSV field longer than this is cut while it is read: its start is kept, the rest is skipped
#: without being stored, and the row is reported. Bounds the memory one hostile field can take.
MAX_FIELD_CHARS: Final[int] = 1_000_000
#: Environment variable that, set to 1, allows loading a model file that has no .json beside it.
TRUST_MODEL_ENV_VAR: Final[str] = "INTENT_TRUST_MODEL"

#: Placeholders that replace specifics while keeping their signal.
PLACEHOLDERS: Final[dict[str, str]] = {
    "url": "xxurl",
    "email": "xxemail",
    "phone": "xxphone",
    "money": "xxmoney",
    "percent": "xxpercent",
    "number": "xxnum",
    "mention": "xxmention",
    "hashtag": "xxhashtag",
    "emoji": "xxemoji",
}

#: Stop words that carry intent and are therefore kept: negations, pronouns, interrogatives.
KEEP_WORDS: Final[frozenset[str]] = frozenset(
    {
        # negations and refusals
        "no",
        "ni",
        "nunca",
        "jamas",
        "tampoco",
        "nada",
        "nadie",
        "ninguno",
        "ninguna",
        "sin",
        # pronouns: who is addressed, who is talked about
        "yo",
        "me",
        "mi",
        "mis",
        "conmigo",
        "tu",
        "tus",
        "te",
        "ti",
        "contigo",
        "vos",
        "usted",
        "ustedes",
        "nos",
        "nosotros",
        "nosotras",
        "os",
        "vosotros",
        "su",
        "sus",
        "nuestro",
        "nuestra",
        "nuestros",
        "nuestras",
        # interrogatives and motive
        "que",
        "quien",
        "quienes",
        "por",
        "porque",
        "como",
        "cuando",
        "donde",
        "cual",
        "para",
        "si",
    }
)

RANDOM_SEED: Final[int] = 13


def retrain_hint() -> str:
    """How to get a working model, in commands the user has: `make` only exists in a checkout."""
    if IN_CHECKOUT:
        return "Fix: run `make train` (or `intent train`) to build a model with this installation."
    return (
        f"Fix: reinstall intent (its package carries a model), or train one with `intent train` and set "
        f"{MODEL_ENV_VAR} to the file it writes."
    )


def default_model_path() -> Path:
    """``$INTENT_MODEL`` if set, else the model shipped in the package or the source checkout."""
    from intent.errors import ModelLoadError

    env = os.environ.get(MODEL_ENV_VAR)
    if env:
        return Path(env).expanduser()
    candidates = (PACKAGED_MODEL_PATH, CHECKOUT_MODEL_PATH) if IN_CHECKOUT else (PACKAGED_MODEL_PATH,)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ModelLoadError(f"No trained model found (looked at {', '.join(map(str, candidates))}). {retrain_hint()}")


#: Column names that hold the label in a user's CSV (any case), in the order they are preferred:
#: a classified file has ``intent`` (the model's guess) beside a ``label`` a person wrote.
LABEL_COLUMN_NAMES: Final[tuple[str, ...]] = (
    "label",
    "etiqueta",
    "labels",
    "etiquetas",
    "categoria",
    "categoría",
    "category",
    "clase",
    "class",
    "intencion",
    "intención",
    "intent",
)


def _umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(mask)
    return mask


def give_usual_mode(path: str | Path) -> None:
    """Give a file the mode a newly created one gets (0666 less the umask).

    Outputs are written through temporary files, which start private (0600); the file they
    become is an ordinary file of the user's, readable as their umask says.
    """
    with contextlib.suppress(OSError):
        os.chmod(path, 0o666 & ~_umask())


#: `intent serve`: loopback only by default (messages are personal data), and its limits.
SERVE_HOST: Final[str] = "127.0.0.1"
SERVE_PORT: Final[int] = 8000
#: Largest upload accepted by the page and the API, in MB (``--max-upload-mb``).
SERVE_MAX_UPLOAD_MB: Final[float] = 100.0
#: Most texts in one ``POST /api/classify`` request (``--max-texts``).
SERVE_MAX_TEXTS: Final[int] = 1000
#: Most characters in one ``POST /api/classify`` or ``/api/explain`` request, all texts together
#: (``--max-chars``): bounds the CPU one request can take.
SERVE_MAX_CHARS: Final[int] = 1_000_000
#: Memory one classification job may use, per process, in MB (``--max-job-memory-mb``); over it,
#: the job is stopped and fails with a clear error.
SERVE_JOB_MAX_MEMORY_MB: Final[int] = 2048
#: The files inside an uploaded .zip may add up to this many times the upload limit.
SERVE_UNPACKED_FACTOR: Final[int] = 5
#: Classified files the page keeps in memory (oldest forgotten first) and for how long.
SERVE_KEEP_JOBS: Final[int] = 4
SERVE_JOB_TTL_SECONDS: Final[int] = 3600
#: A job polled, fetched or downloaded this recently is in use: it is never forgotten to make room.
SERVE_JOB_IN_USE_SECONDS: Final[int] = 900

#: A personal model (trained from the page's corrections): where `intent serve` saves it by default
#: (``--personal-dir``; relative to the folder `serve` was started in), and how it is trained.
PERSONAL_DIR_NAME: Final[str] = "intent-personal"
#: Fewer corrections than this are refused: under cross-validation each would weigh a tenth of the
#: before/after figure, and a handful of rows barely moves a model trained on thousands.
PERSONAL_MIN_CORRECTIONS: Final[int] = 10
#: Each correction counts as this many corpus messages (sample weight), so that a few dozen weigh like a few
#: hundred beside ~6,500 rather than half a percent. Measured on 38 hand-written corrections
#: (`benchmarks/bench_personal.py`; README, "Teach it from the page"): from weight 1 to 100 the out-of-fold
#: probability of their labels rises (0.714 to 0.740) and held-out macro-F1 stays within 0.5 points of the
#: shipped model's; 10 is in the middle of that range, and leaves room for users who correct hundreds.
PERSONAL_CORRECTION_WEIGHT: Final[float] = 10.0
#: Folds of the cross-validation over the corrections (fewer when there are fewer senders).
PERSONAL_CV_FOLDS: Final[int] = 5

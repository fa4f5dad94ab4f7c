"""Quality gate for the shipped corpus (data/train.csv, data/test.csv, data/challenge.csv);
`make test` runs it.

Checks the schema and codes, empty texts, unique ids, exact duplicates, near-duplicates
(character 5-gram Jaccard) between test and train, between the challenge set and both, within
each file, the minimal pairs of the training set, and the per-label minimums. Every failure
names the offending rows.

    python -m intent.learn.corpus_check [DATA_DIR]
    python -m intent.learn.corpus_check --tables [DATA_DIR]   # coverage tables for the datasheet
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from intent.config import DATA_DIR, LABELS

COLUMNS: Final = ("id", "text", "label", "region", "register", "form", "subtype", "edge_rule", "source")
#: The challenge set adds its split (dev: may choose models and the threshold; test: only reported)
#: and what makes each message hard.
CHALLENGE_COLUMNS: Final = (*COLUMNS, "split", "phenomenon")
CHALLENGE_SPLITS: Final = ("dev", "test")
#: Optional in train.csv: the phenomenon of a hard case ("plain" for an ordinary one, empty for the
#: first round) and the id shared by the two messages of a minimal pair.
TRAIN_EXTRA_COLUMNS: Final = ("phenomenon", "pair")
REGIONS: Final = (
    "spain",
    "mexico",
    "argentina_uruguay",
    "colombia",
    "chile",
    "peru",
    "venezuela_caribbean",
)
LATAM: Final = REGIONS[1:]
REGISTERS: Final = ("formal", "neutral", "casual", "spanglish")
FORMS: Final = ("invitation", "inbox", "reply", "inmail")
SUBTYPES: Final[dict[str, tuple[str, ...]]] = {
    "spam_sales": (
        "cold_pitch",
        "meeting_lead",
        "link_offer",
        "mlm_crypto",
        "scam_phishing",
        "connect_then_pitch",
        "commission_recruiting",
    ),
    "genuine_networking": (
        "peer_connect",
        "collaboration",
        "advice_referral",
        "congrats_thanks",
        "recruiting_real_role",
        "warm_reply",
    ),
    "gatekeeping_rejection": (
        "decline_invitation",
        "question_motive",
        "refuse_offer",
        "stop_contact",
        "lecture",
    ),
}
EDGE_RULES: Final = ("", "1", "2", "3", "4", "5", "6")
INVITATION_MAX_CHARS: Final = 300
NEAR_DUP_JACCARD: Final = 0.6
SHORT_EXEMPT_CHARS: Final = 30  # within train, two messages both shorter than this may be alike
MINIMUMS: Final = {"train": (6000, 1800), "test": (450, 150), "challenge": (600, 200)}  # (total, per label)
CHALLENGE_TEST_MINIMUM: Final = 300


@dataclass(frozen=True)
class Problem:
    file: str
    rows: tuple[str, ...]  # ids (or line numbers) of the rows at fault
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message} [{', '.join(self.rows)}]"


Row = dict[str, str]


def read_rows(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def normalized_for_comparison(text: str) -> str:
    return " ".join(text.lower().split())


def shingles(text: str, n: int = 5) -> list[str]:
    """Character n-grams of the normalized text; a text shorter than n is its own shingle."""
    t = normalized_for_comparison(text)
    return [t] if len(t) < n else [t[i : i + n] for i in range(len(t) - n + 1)]


def jaccard_matrix(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Pairwise 5-gram Jaccard similarity between two lists of texts (dense, len(a) x len(b))."""
    vec = CountVectorizer(analyzer=shingles, binary=True, dtype=np.int32)
    m = vec.fit_transform(list(a) + list(b)).tocsr()
    ma, mb = m[: len(a)], m[len(a) :]
    inter = (ma @ mb.T).toarray().astype(np.float64)
    size_a = np.asarray(ma.sum(axis=1)).ravel()[:, None]
    size_b = np.asarray(mb.sum(axis=1)).ravel()[None, :]
    union = size_a + size_b - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def check_rows(name: str, rows: list[Row], columns: tuple[str, ...] = COLUMNS) -> list[Problem]:
    """Schema, codes, empties, ids, exact duplicates and form limits of one file."""
    problems: list[Problem] = []
    if not rows:
        return [Problem(name, (), "file has no rows")]
    missing = [c for c in columns if c not in rows[0]]
    if missing:
        return [Problem(name, (), f"missing columns {missing}; expected {list(columns)}")]

    def bad(message: str, predicate: object) -> None:
        hits = tuple(r["id"] or f"line {i + 2}" for i, r in enumerate(rows) if predicate(r))  # type: ignore[operator]
        if hits:
            problems.append(Problem(name, hits, message))

    bad("empty text", lambda r: not r["text"].strip())
    bad(f"label not in {list(LABELS)}", lambda r: r["label"] not in LABELS)
    bad(f"region not in {list(REGIONS)}", lambda r: r["region"] not in REGIONS)
    bad(f"register not in {list(REGISTERS)}", lambda r: r["register"] not in REGISTERS)
    bad(f"form not in {list(FORMS)}", lambda r: r["form"] not in FORMS)
    bad("subtype does not belong to the label", lambda r: r["subtype"] not in SUBTYPES.get(r["label"], ()))
    bad("edge_rule not in 1-6", lambda r: r["edge_rule"] not in EDGE_RULES)
    bad(
        f"invitation note longer than {INVITATION_MAX_CHARS} characters",
        lambda r: r["form"] == "invitation" and len(r["text"]) > INVITATION_MAX_CHARS,
    )
    bad("empty id", lambda r: not r["id"].strip())
    ids = Counter(r["id"] for r in rows)
    dup_ids = tuple(sorted(i for i, c in ids.items() if c > 1 and i))
    if dup_ids:
        problems.append(Problem(name, dup_ids, "duplicate ids"))
    by_text: dict[str, list[str]] = {}
    for r in rows:
        by_text.setdefault(normalized_for_comparison(r["text"]), []).append(r["id"])
    for ids_ in by_text.values():
        if len(ids_) > 1:
            problems.append(Problem(name, tuple(ids_), "exact duplicate texts"))
    if "split" in columns:
        bad(f"split not in {list(CHALLENGE_SPLITS)}", lambda r: r["split"] not in CHALLENGE_SPLITS)
    if "phenomenon" in columns:
        bad("empty phenomenon", lambda r: not r["phenomenon"].strip())
    return problems


def check_pairs(name: str, rows: list[Row]) -> list[Problem]:
    """Each minimal pair is two messages with two different labels."""
    members: dict[str, list[Row]] = {}
    for r in rows:
        if r.get("pair"):
            members.setdefault(r["pair"], []).append(r)
    return [
        Problem(name, tuple(r["id"] for r in group), f"minimal pair {pair!r} needs two messages with two labels")
        for pair, group in members.items()
        if len(group) != 2 or group[0]["label"] == group[1]["label"]
    ]


def near_duplicates(
    name: str, rows_a: list[Row], rows_b: list[Row] | None = None, exempt_short: bool = False
) -> tuple[list[Problem], float]:
    """Pairs at or over the Jaccard limit (within one file if rows_b is None); and the max similarity."""
    same = rows_b is None
    b = rows_a if rows_b is None else rows_b
    sim = jaccard_matrix([r["text"] for r in rows_a], [r["text"] for r in b])
    if same:
        sim = np.triu(sim, k=1)
    if exempt_short:
        short_a = np.array([len(r["text"]) < SHORT_EXEMPT_CHARS for r in rows_a])
        short_b = np.array([len(r["text"]) < SHORT_EXEMPT_CHARS for r in b])
        sim = np.where(short_a[:, None] & short_b[None, :], 0.0, sim)
    hits = np.argwhere(sim >= NEAR_DUP_JACCARD)
    problems = [
        Problem(name, (rows_a[i]["id"], b[j]["id"]), f"near-duplicate (5-gram Jaccard {sim[i, j]:.2f})")
        for i, j in hits
    ]
    return problems, float(sim.max()) if sim.size else 0.0


def check_minimums(name: str, rows: list[Row], total: int, per_label: int) -> list[Problem]:
    counts = Counter(r["label"] for r in rows)
    problems = []
    if len(rows) < total:
        problems.append(Problem(name, (), f"{len(rows)} rows, need at least {total}"))
    for label in LABELS:
        if counts[label] < per_label:
            problems.append(Problem(name, (), f"{counts[label]} rows of {label}, need at least {per_label}"))
    return problems


@dataclass(frozen=True)
class Report:
    problems: list[Problem]
    max_test_train_similarity: float
    #: Largest 5-gram Jaccard between a challenge message and any train or test message.
    max_challenge_similarity: float = float("nan")


def check_corpus(data_dir: Path = DATA_DIR, minimums: dict[str, tuple[int, int]] = MINIMUMS) -> Report:
    """Run every check on ``data_dir``'s train.csv, test.csv and (when present) challenge.csv."""
    train, test = read_rows(data_dir / "train.csv"), read_rows(data_dir / "test.csv")
    challenge_file = data_dir / "challenge.csv"
    challenge = read_rows(challenge_file) if challenge_file.exists() else None
    problems = check_rows("train.csv", train) + check_rows("test.csv", test)
    if challenge is not None:
        problems += check_rows("challenge.csv", challenge, CHALLENGE_COLUMNS)
    if problems and any(p.message.startswith("missing columns") for p in problems):
        return Report(problems, float("nan"))
    files = {"train.csv": train, "test.csv": test, **({"challenge.csv": challenge} if challenge else {})}
    seen: dict[str, str] = {}
    for name, rows in files.items():
        for r in rows:
            if r["id"] in seen and seen[r["id"]] != name:
                problems.append(Problem(f"{seen[r['id']]}+{name}", (r["id"],), "id used in two files"))
            seen.setdefault(r["id"], name)
    cross, max_sim = near_duplicates("test.csv vs train.csv", test, train)
    problems += cross
    problems += near_duplicates("test.csv", test)[0]
    problems += near_duplicates("train.csv", train, exempt_short=True)[0]
    problems += check_pairs("train.csv", train)
    for name, rows in (("train", train), ("test", test)):
        problems += check_minimums(f"{name}.csv", rows, *minimums[name])
    max_challenge = float("nan")
    if challenge is not None:
        vs_train, sim_train = near_duplicates("challenge.csv vs train.csv", challenge, train)
        vs_test, sim_test = near_duplicates("challenge.csv vs test.csv", challenge, test)
        problems += vs_train + vs_test + near_duplicates("challenge.csv", challenge)[0]
        max_challenge = max(sim_train, sim_test)
        problems += check_minimums("challenge.csv", challenge, *minimums["challenge"])
        n_test = sum(r["split"] == "test" for r in challenge)
        if n_test < CHALLENGE_TEST_MINIMUM:
            problems.append(Problem("challenge.csv", (), f"{n_test} rows in split=test, need {CHALLENGE_TEST_MINIMUM}"))
    return Report(problems, max_sim, max_challenge)


LENGTH_BUCKETS: Final = (
    ("1-4 words", lambda t: len(t.split()) <= 4),
    ("5 words-99 chars", lambda t: len(t) < 100),
    ("100-299 chars", lambda t: len(t) < 300),
    ("300-799 chars", lambda t: len(t) < 800),
    ("800-1,499 chars", lambda t: len(t) < 1500),
    ("1,500+ chars", lambda t: True),
)


def length_bucket(text: str) -> str:
    return next(name for name, fits in LENGTH_BUCKETS if fits(text))


def coverage_tables(rows: list[Row]) -> str:
    """Markdown tables of label x region, form, register, length bucket, subtype and edge rule
    (and split and phenomenon, where the file has them)."""
    facets = {
        "region": (lambda r: r["region"], REGIONS),
        "form": (lambda r: r["form"], FORMS),
        "register": (lambda r: r["register"], REGISTERS),
        "length": (lambda r: length_bucket(r["text"]), tuple(n for n, _ in LENGTH_BUCKETS)),
        "edge rule": (lambda r: r["edge_rule"] or "none", ("none", "1", "2", "3", "4", "5", "6")),
    }
    if rows and "split" in rows[0]:
        facets["split"] = (lambda r: r["split"], CHALLENGE_SPLITS)
    out = []
    for facet, (key, values) in facets.items():
        counts = Counter((r["label"], key(r)) for r in rows)
        out.append(f"| label \\ {facet} | " + " | ".join(values) + " | total |")
        out.append("|---" * (len(values) + 2) + "|")
        for label in LABELS:
            cells = [counts[(label, v)] for v in values]
            out.append(f"| {label} | " + " | ".join(map(str, cells)) + f" | {sum(cells)} |")
        totals = [sum(counts[(label, v)] for label in LABELS) for v in values]
        out.append("| **total** | " + " | ".join(map(str, totals)) + f" | {sum(totals)} |")
        out.append("")
    if rows and rows[0].get("phenomenon") is not None:
        out += _phenomenon_table(rows)
    subtypes = Counter((r["label"], r["subtype"]) for r in rows)
    out.append("| label | subtype counts |")
    out.append("|---|---|")
    for label in LABELS:
        out.append(f"| {label} | " + ", ".join(f"{s} {subtypes[(label, s)]}" for s in SUBTYPES[label]) + " |")
    latam = sum(r["region"] in LATAM for r in rows)
    edge = Counter(r["label"] for r in rows if r["edge_rule"])
    per_label = Counter(r["label"] for r in rows)
    out.append("")
    out.append(
        f"Latin American share: {latam / len(rows):.1%}. Edge-rule share per label: "
        + ", ".join(f"{label} {edge[label] / per_label[label]:.1%}" for label in LABELS)
        + "."
    )
    return "\n".join(out)


def _phenomenon_table(rows: list[Row]) -> list[str]:
    """Phenomenon counts per label (rows without one, from the first round, are left out)."""
    tagged = [r for r in rows if r.get("phenomenon")]
    if not tagged:
        return []
    counts = Counter((r["label"], r["phenomenon"]) for r in tagged)
    out = ["| label | phenomenon counts |", "|---|---|"]
    for label in LABELS:
        cells = sorted(((p, n) for (lab, p), n in counts.items() if lab == label), key=lambda kv: (-kv[1], kv[0]))
        out.append(f"| {label} | " + ", ".join(f"{p} {n}" for p, n in cells) + " |")
    hard = sum(r["phenomenon"] != "plain" for r in tagged)
    pairs = len({r["pair"] for r in tagged if r.get("pair")})
    out += [
        "",
        f"Rows with a phenomenon tag: {len(tagged)}; hard cases among them: {hard} ({hard / len(tagged):.1%})"
        + (f"; minimal pairs: {pairs}." if pairs else "."),
        "",
    ]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--tables":
        data_dir = Path(args[1]) if len(args) > 1 else DATA_DIR
        for name in ("train", "test", "challenge"):
            if (data_dir / f"{name}.csv").exists():
                print(f"### {name}.csv\n")
                print(coverage_tables(read_rows(data_dir / f"{name}.csv")))
                print()
        return 0
    data_dir = Path(args[0]) if args else DATA_DIR
    report = check_corpus(data_dir)
    for problem in report.problems:
        print(problem)
    print(
        f"{len(report.problems)} problem(s); largest test-train 5-gram Jaccard: {report.max_test_train_similarity:.3f}"
        + (
            f"; largest challenge-train/test: {report.max_challenge_similarity:.3f}"
            if report.max_challenge_similarity == report.max_challenge_similarity
            else ""
        )
    )
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())

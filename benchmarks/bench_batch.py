"""Batch benchmark (issue 4): classify a 1,000,000-row LinkedIn-style CSV end to end.

Reports messages/s and the peak resident memory of the whole process tree for
`intent classify --jobs 2`, and, in the same run and on the same texts:
  - spaCy's tokenizer alone (the floor for any spaCy pipeline);
  - a spaCy `textcat` pipeline (spaCy's default architecture) trained on the same corpus,
    classifying with nlp.pipe on the same two cores (the peer a user would otherwise pick).

    python benchmarks/bench_batch.py [--rows 1000000] [--workdir DIR] [--textcat-epochs 5]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
HEADER = ["CONVERSATION ID", "FROM", "TO", "DATE", "SUBJECT", "CONTENT", "FOLDER"]
NAMES = ["Ana", "Luis", "Carmen", "Jorge", "Valentina", "Mateo", "Sofía", "Diego", "Lucía", "Andrés"]
EMOJI = ["", "", "", " 🙂", " 🚀", " 🙏", "!!"]


def corpus_texts() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for name in ("train.csv", "test.csv"):
        with (DATA / name).open(encoding="utf-8", newline="") as fh:
            rows += [(r["text"], r["label"]) for r in csv.DictReader(fh)]
    return rows


def perturb(text: str, rng: random.Random) -> str:
    """Light, meaning-preserving changes so rows are not byte-identical copies."""
    choice = rng.random()
    if choice < 0.2:
        text = text.lower()
    elif choice < 0.35:
        text = f"{rng.choice(NAMES)}, {text[:1].lower()}{text[1:]}"
    return text + rng.choice(EMOJI)


def build_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    texts = [t for t, _ in corpus_texts()]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow(
                [
                    f"2-{rng.getrandbits(48):012x}",
                    rng.choice(NAMES),
                    rng.choice(NAMES),
                    f"2026-{1 + i % 12:02d}-{1 + i % 28:02d} 10:{i % 60:02d}:00 UTC",
                    "",
                    perturb(rng.choice(texts), rng),
                    "INBOX",
                ]
            )


def read_contents(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            yield row["CONTENT"]


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    total, stack = 0, [root]
    page = os.sysconf("SC_PAGE_SIZE")
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
        stack += children.get(pid, [])
    return total


def run_measured(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak process-tree RSS (sampled every 0.2 s) of a command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_bytes(proc.pid))
        time.sleep(0.2)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}")
    return time.perf_counter() - start, peak


def tokenizer_floor(path: Path) -> float:
    import spacy

    nlp = spacy.blank("es")
    start = time.perf_counter()
    n = sum(1 for _ in nlp.tokenizer.pipe(read_contents(path), batch_size=1000))
    return n / (time.perf_counter() - start)


def train_textcat(epochs: int):  # type: ignore[no-untyped-def]
    """spaCy's default textcat (exclusive classes) trained on data/train.csv."""
    import spacy
    from spacy.training import Example
    from spacy.util import minibatch

    from intent.config import LABELS

    with (DATA / "train.csv").open(encoding="utf-8", newline="") as fh:
        train = [(r["text"], r["label"]) for r in csv.DictReader(fh)]
    nlp = spacy.blank("es")
    textcat = nlp.add_pipe("textcat")
    for label in LABELS:
        textcat.add_label(label)
    examples = [
        Example.from_dict(nlp.make_doc(t), {"cats": {label: float(label == y) for label in LABELS}}) for t, y in train
    ]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(13)
    for _ in range(epochs):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=32):
            nlp.update(batch, sgd=optimizer)
    return nlp


def textcat_peer(path: Path, epochs: int, workdir: Path) -> tuple[float, float, float]:
    """(train seconds, messages/s with nlp.pipe over 2 processes, test macro-F1)."""
    from sklearn.metrics import f1_score

    start = time.perf_counter()
    nlp = train_textcat(epochs)
    train_seconds = time.perf_counter() - start
    with (DATA / "test.csv").open(encoding="utf-8", newline="") as fh:
        test = [(r["text"], r["label"]) for r in csv.DictReader(fh)]
    predicted = [max(d.cats, key=d.cats.get) for d in nlp.pipe(t for t, _ in test)]
    f1 = f1_score([y for _, y in test], predicted, average="macro")
    model_dir = workdir / "textcat_model"
    nlp.to_disk(model_dir)
    code = (
        "import csv,sys,time,spacy\n"
        f"nlp=spacy.load({str(model_dir)!r})\n"
        f"rows=(r['CONTENT'] for r in csv.DictReader(open({str(path)!r},encoding='utf-8',newline='')))\n"
        "t=time.perf_counter(); n=0\n"
        "for d in nlp.pipe(rows,batch_size=256,n_process=2): n+=1\n"
        "print(n/(time.perf_counter()-t))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return train_seconds, float(out.strip().splitlines()[-1]), f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--textcat-epochs", type=int, default=5)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="intent-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    big = workdir / "messages.csv"
    t0 = time.perf_counter()
    build_csv(big, args.rows)
    print(
        f"built {args.rows:,} rows ({big.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f}s", flush=True
    )

    out = workdir / "classified.csv"
    intent_bin = str(Path(sys.executable).parent / "intent")
    seconds, peak = run_measured(
        [intent_bin, "classify", str(big), "-o", str(out), "--jobs", "2", "--quiet", "--force"]
    )
    ours = args.rows / seconds
    print(
        f"intent classify --jobs 2: {seconds:.0f}s, {ours:,.0f} messages/s, peak RSS {peak / 2**20:,.0f} MiB",
        flush=True,
    )
    seconds_nolid, peak_nolid = run_measured(
        [intent_bin, "classify", str(big), "-o", str(out), "--jobs", "2", "--quiet", "--force", "--no-language-id"]
    )
    ours_nolid = args.rows / seconds_nolid
    print(
        f"intent classify --jobs 2 --no-language-id: {seconds_nolid:.0f}s, {ours_nolid:,.0f} messages/s, "
        f"peak RSS {peak_nolid / 2**20:,.0f} MiB",
        flush=True,
    )
    floor = tokenizer_floor(big)
    print(f"spaCy tokenizer alone: {floor:,.0f} messages/s", flush=True)
    tc_train, tc_rate, tc_f1 = textcat_peer(big, args.textcat_epochs, workdir)
    print(
        f"spaCy textcat peer: trained in {tc_train:.0f}s, test macro-F1 {tc_f1:.3f}, "
        f"{tc_rate:,.0f} messages/s (nlp.pipe, n_process=2)",
        flush=True,
    )
    print()
    print("| system (same texts, same run) | messages/s | vs tokenizer floor | vs textcat peer |")
    print("|---|---|---|---|")
    print(f"| spaCy tokenizer alone (floor) | {floor:,.0f} | 1.00x | {floor / tc_rate:.2f}x |")
    print(f"| spaCy textcat, n_process=2 | {tc_rate:,.0f} | {tc_rate / floor:.3f}x | 1.00x |")
    print(
        f"| intent classify --jobs 2 (end to end, CSV in and out) | {ours:,.0f} | {ours / floor:.3f}x | "
        f"{ours / tc_rate:.2f}x |"
    )
    print(f"| same, --no-language-id | {ours_nolid:,.0f} | {ours_nolid / floor:.3f}x | {ours_nolid / tc_rate:.2f}x |")
    print(
        f"\npeak RSS of intent classify --jobs 2 (all processes): {peak / 2**20:,.0f} MiB (target <= 600 MiB); "
        f"without language id {peak_nolid / 2**20:,.0f} MiB"
    )
    print(
        f"intent classify --jobs 2 / spaCy textcat (n_process=2): {ours / tc_rate:.2f}x (target >= 3x); "
        f"predict_proba alone vs the tokenizer: see benchmarks/bench_core.py"
    )


if __name__ == "__main__":
    main()

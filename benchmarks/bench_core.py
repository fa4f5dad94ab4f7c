"""Core benchmark (issue 3): model size, load time, single-message latency, batch throughput.

Every figure is printed beside a baseline measured in the same run: throughput beside spaCy's
tokenizer alone over the same messages (the floor for any spaCy pipeline) and beside plain
TF-IDF + logistic regression without spaCy. Run with `make bench`.
"""

from __future__ import annotations

import csv
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "intent-es.joblib"
TEST = ROOT / "data" / "test.csv"
TRAIN = ROOT / "data" / "train.csv"


def read(path: Path) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def cold_load_seconds() -> float:
    """Import + load in a fresh interpreter, as a user's first call pays it."""
    code = (
        "import time; t=time.perf_counter(); from intent import load_model; "
        f"load_model({str(MODEL)!r}); print(time.perf_counter()-t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def main() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from intent.model_io import load_model_file
    from intent.text.nlp import get_nlp

    meta = json.loads(MODEL.with_suffix(".json").read_text(encoding="utf-8"))
    texts, _ = read(TEST)
    train_texts, train_labels = read(TRAIN)

    t0 = time.perf_counter()
    model = load_model_file(MODEL)
    warm_load = time.perf_counter() - t0
    cold_load = statistics.median(cold_load_seconds() for _ in range(3))

    # Latency of predict() on one message, after load, over every test message.
    model.predict(texts[0])
    latencies = []
    for text in texts:
        t0 = time.perf_counter()
        model.predict(text)
        latencies.append(time.perf_counter() - t0)

    batch = texts * max(1, 20000 // len(texts))
    nlp = get_nlp("blank:es")
    t0 = time.perf_counter()
    for _ in nlp.tokenizer.pipe(batch, batch_size=1000):
        pass
    tok_rate = len(batch) / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    for start in range(0, len(batch), 1000):
        model.predict_proba(batch[start : start + 1000])
    model_rate = len(batch) / (time.perf_counter() - t0)

    plain = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=5000)).fit(train_texts, train_labels)
    t0 = time.perf_counter()
    for start in range(0, len(batch), 1000):
        plain.predict_proba(batch[start : start + 1000])
    plain_rate = len(batch) / (time.perf_counter() - t0)

    test = meta.get("test", {})
    print("== quality (data/test.csv, from the training run's report) ==")
    for key, name in (
        ("model", "intent"),
        ("tfidf_logreg_no_spacy", "TF-IDF+LR no spaCy"),
        ("majority_class", "majority class"),
    ):
        if key in test:
            per = "  ".join(f"{k}={v['f1']:.3f}" for k, v in test[key]["per_label"].items())
            print(f"  {name:<20} macro-F1 {test[key]['macro_f1']:.3f}   {per}")
    print("== size and time ==")
    print(f"  model file            {MODEL.stat().st_size / 1e6:.1f} MB (target <= 25 MB)")
    print(f"  training time         {meta.get('train_seconds', float('nan')):.0f} s")
    print(f"  load (warm process)   {warm_load * 1000:.0f} ms")
    print(f"  import + load (cold)  {cold_load * 1000:.0f} ms")
    lat = statistics.median(latencies) * 1000
    p95 = sorted(latencies)[int(0.95 * len(latencies))] * 1000
    print(f"  predict() one message median {lat:.2f} ms, p95 {p95:.2f} ms (target median <= 2 ms)")
    print("== batch throughput, same messages, same run ==")
    print(f"  spaCy tokenizer alone (floor)   {tok_rate:>10,.0f} msg/s   1.00x")
    print(f"  intent predict_proba            {model_rate:>10,.0f} msg/s   {model_rate / tok_rate:.2f}x of floor")
    print(f"  plain TF-IDF + LR (no spaCy)    {plain_rate:>10,.0f} msg/s   {plain_rate / tok_rate:.2f}x of floor")


if __name__ == "__main__":
    main()

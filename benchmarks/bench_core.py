"""Core benchmark: cold start, one message, batches; every figure beside its baseline, same run.

- Cold start: ``from intent import predict; predict("hola")`` in a fresh process, against
  ``import sklearn, spacy; spacy.blank("es")("hola")`` (wall time and peak RSS, median of runs).
  Targets: at most 1.5x the baseline's time, peak RSS at most 250 MiB.
- One message, warm: median ``predict_proba`` latency, against a plain scikit-learn pipeline
  (a FeatureUnion of word and char_wb TF-IDF + logistic regression, trained on the same corpus)
  calling ``predict_proba`` on one message. Target: at most 0.5x.
- Batches: ``predict_proba`` on batches of 1,000 messages, against spaCy's tokenizer
  (``spacy.blank("es")``, ``nlp.pipe``) over the same texts. Target: at least 0.25x its rate.
- No loss: the shipped model's features computed by the fast n-gram code and by
  scikit-learn's own ``TfidfVectorizer`` (rebuilt from the same vocabulary and idf) give the
  same probabilities, and the model's macro-F1 on test.csv and on the challenge test split.

    python benchmarks/bench_core.py [--runs 5]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "intent-es.joblib"
DATA = ROOT / "data"


def read(name: str, split: str | None = None) -> tuple[list[str], list[str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if split is None or r.get("split") == split]
    return [r["text"] for r in rows], [r["label"] for r in rows]


def fresh_process(code: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of ``code`` in a new interpreter (it reports its own peak)."""
    wrapped = f"{code}\nimport resource\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", wrapped],
        capture_output=True,
        text=True,
        check=True,
        env={"INTENT_MODEL": str(MODEL), "PATH": "/usr/bin:/bin"},
        cwd="/",
    )
    seconds = time.perf_counter() - start
    return seconds, int(out.stdout.strip().splitlines()[-1]) / 1024


def cold_start(runs: int) -> None:
    ours_code = "from intent import predict; predict('hola')"
    base_code = "import sklearn, spacy; spacy.blank('es')('hola')"
    ours, base = [], []
    for _ in range(runs):  # interleaved, so both see the same machine
        base.append(fresh_process(base_code))
        ours.append(fresh_process(ours_code))
    t_ours, t_base = statistics.median(s for s, _ in ours), statistics.median(s for s, _ in base)
    m_ours, m_base = statistics.median(m for _, m in ours), statistics.median(m for _, m in base)
    print(f"== cold start (fresh process, median of {runs} runs) ==")
    print(f"  baseline  import sklearn, spacy; spacy.blank('es')('hola')   {t_base:.2f} s   {m_base:.0f} MiB")
    print(f"  intent    from intent import predict; predict('hola')       {t_ours:.2f} s   {m_ours:.0f} MiB")
    print(f"  time ratio {t_ours / t_base:.2f}x (target <= 1.5x); peak RSS {m_ours:.0f} MiB (target <= 250 MiB)")


def warm_latency(model, train: tuple[list[str], list[str]], texts: list[str]) -> None:  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    plain = make_pipeline(
        make_union(TfidfVectorizer(), TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))),
        LogisticRegression(max_iter=3000),
    ).fit(*train)

    def median_latency(predict) -> float:  # type: ignore[no-untyped-def]
        predict(texts[0])
        times = []
        for text in texts:
            start = time.perf_counter()
            predict(text)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    rounds = []
    for _ in range(3):  # interleaved rounds; the best of each side
        rounds.append((median_latency(lambda t: plain.predict_proba([t])), median_latency(model.predict_proba)))
    base, ours = min(b for b, _ in rounds), min(o for _, o in rounds)
    print(f"== one message, warm (median over {len(texts)} messages) ==")
    print(f"  baseline  FeatureUnion(word, char_wb TF-IDF) + LR predict_proba   {base * 1000:.3f} ms")
    print(f"  intent    predict_proba                                           {ours * 1000:.3f} ms")
    print(f"  ratio {ours / base:.2f}x (target <= 0.5x)")


def batches(model, texts: list[str]) -> None:  # type: ignore[no-untyped-def]
    import spacy

    nlp = spacy.blank("es")
    batch = (texts * (20_000 // len(texts) + 1))[:20_000]
    model.predict_proba(batch[:1000])

    def rate(run) -> float:  # type: ignore[no-untyped-def]
        start = time.process_time()
        run()
        return len(batch) / (time.process_time() - start)

    rounds = []
    for _ in range(3):
        tokens = rate(lambda: [None for _ in nlp.pipe(batch, batch_size=1000)])
        ours = rate(lambda: [model.predict_proba(batch[i : i + 1000]) for i in range(0, len(batch), 1000)])
        rounds.append((tokens, ours))
    tokens, ours = max(t for t, _ in rounds), max(o for _, o in rounds)
    print(f"== batches of 1,000 ({len(batch):,} messages, CPU time, best of 3) ==")
    print(f"  baseline  spaCy tokenizer, spacy.blank('es') nlp.pipe   {tokens:>9,.0f} messages/s")
    print(f"  intent    predict_proba                                 {ours:>9,.0f} messages/s")
    print(f"  ratio {ours / tokens:.3f}x (target >= 0.25x)")


def no_loss(model) -> None:  # type: ignore[no-untyped-def]
    """The fast features against scikit-learn's vectorizers holding the same vocabulary and idf."""
    import numpy as np
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import f1_score

    from intent.config import LABELS
    from intent.text.features import BRANCHES

    pre, features, classifier = (model.pipeline.named_steps[s] for s in ("preprocess", "features", "classifier"))
    sets = {"test.csv": read("test.csv"), "challenge test": read("challenge.csv", "test")}
    print("== no loss: fast features vs scikit-learn's TfidfVectorizer, same model ==")
    for name, (texts, labels) in sets.items():
        X = pre.transform(texts)
        blocks = []
        for (branch, column), weight in zip(BRANCHES, features.weights, strict=True):
            table = features.tables_.get(branch)
            if table is None:
                continue
            names = features.feature_names(branch)
            reference = TfidfVectorizer(
                analyzer=table.analyzer,
                token_pattern=r"[^ ]+",
                ngram_range=table.ngram_range,
                lowercase=False,
                sublinear_tf=True,
                dtype=np.float32,
                vocabulary={n: i for i, n in enumerate(names)},
            )
            reference.fit(["x"])  # sets up the analyzer; vocabulary and idf are replaced next
            reference.idf_ = table.idf.astype(np.float64)
            blocks.append(reference.transform(X[:, column]) * weight)
        slow = classifier.predict_proba(sp.hstack(blocks, format="csr"))
        fast = classifier.predict_proba(features.transform(X))
        order = [list(classifier.classes_).index(label) for label in LABELS]
        f_fast = f1_score(labels, [LABELS[i] for i in fast[:, order].argmax(1)], average="macro")
        f_slow = f1_score(labels, [LABELS[i] for i in slow[:, order].argmax(1)], average="macro")
        print(
            f"  {name:<15} macro-F1 fast {f_fast:.4f} | scikit-learn vectorizers {f_slow:.4f} | "
            f"largest probability difference {abs(fast - slow).max():.1e}"
        )
    meta = json.loads(MODEL.with_suffix(".json").read_text(encoding="utf-8"))
    for key, name in (("test", "test.csv"), ("challenge_test", "challenge test")):
        if key in meta:
            print(f"  {name:<15} macro-F1 recorded by the training run: {meta[key]['model']['macro_f1']:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per side for the cold start")
    args = parser.parse_args()
    from intent.model_io import load_model_file

    model = load_model_file(MODEL)
    texts, _ = read("test.csv")
    print(f"model: {MODEL.name} ({MODEL.stat().st_size / 1e6:.1f} MB)")
    cold_start(args.runs)
    warm_latency(model, read("train.csv"), texts[:400])
    batches(model, texts)
    no_loss(model)


if __name__ == "__main__":
    main()

"""Personal models (issue 19): how much a correction should weigh, and how long a training takes.

On the corrections written for the tests (tests/fixtures/personal_inbox.csv: messages to the sample
export's owner that the shipped model gets wrong or is unsure of, each corrected alone or with its
conversation), a personal model is trained as the page trains it, once per weight. For each: how
many corrections it gets right under cross-validation (each predicted by a model trained without it
and without its sender's others), how many of those it is sure of (not flagged uncertain), the mean
probability it gives each correction's label (out of fold), macro-F1 on the held-out sets beside
the shipped model, and the time. The shipped model's figures on the corrections are the "before".

    python benchmarks/bench_personal.py                 # weights 1, 3, 10, 30
    python benchmarks/bench_personal.py --weights 10    # one training, as the page runs it
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INBOX = ROOT / "tests" / "fixtures" / "personal_inbox.csv"


def corrections() -> list[object]:
    """The corrections as the page makes them: a message alone, or a conversation's messages joined; the text as
    the page shows it (repaired), one writer's corrections kept together."""
    from intent.io.owner import name_key
    from intent.learn.personal import Example
    from intent.text.normalize import repair
    from intent.web.corrections import JOINER

    with INBOX.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out: list[object] = [
        Example(repair(r["text"]), r["label"], name_key(r["sender"])) for r in rows if r["scope"] == "message"
    ]
    threads: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        if r["scope"] == "conversation":
            threads.setdefault(r["conversation"], []).append(r)
    for messages in threads.values():
        text = JOINER.join(repair(m["text"]) for m in messages)
        out.append(Example(text, messages[0]["label"], name_key(messages[0]["sender"])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=float, nargs="+", default=[1.0, 3.0, 10.0, 30.0])
    args = parser.parse_args()

    import numpy as np

    from intent.api import load_model
    from intent.config import CHECKOUT_MODEL_PATH, LABELS
    from intent.learn.personal import PersonalSettings, train_personal

    base = load_model(CHECKOUT_MODEL_PATH)
    examples = corrections()
    proba = base.predict_proba([e.text for e in examples])  # type: ignore[attr-defined]
    base_p = float(np.mean([p[LABELS.index(e.label)] for p, e in zip(proba, examples, strict=True)]))  # type: ignore[attr-defined]
    print(f"{len(examples)} corrections from {INBOX.relative_to(ROOT)}; base model {base.metadata['name']}")
    print(
        "| weight | right under CV | right and sure | mean p(label) | test.csv macro-F1 | challenge test macro-F1 | s |"
    )
    print("|---|---|---|---|---|---|---|")
    before: dict[str, float] = {}
    for weight in args.weights:
        start = time.perf_counter()
        personal = train_personal(examples, base, PersonalSettings(weight=weight))  # type: ignore[arg-type]
        seconds = time.perf_counter() - start
        figures = personal.figures
        held = figures["held_out"]
        before = {key: h["base_macro_f1"] for key, h in held.items()}
        print(
            f"| {weight:g} | {figures['personal_right']} of {figures['corrections']} | "
            f"{figures['personal_sure_right']} | {np.mean([c['personal_p'] for c in figures['per_correction']]):.3f} | "
            f"{held['test']['personal_macro_f1']:.3f} | "
            f"{held['challenge_test']['personal_macro_f1']:.3f} | {seconds:.0f} |"
        )
    print(
        f"| shipped model | {figures['base_right']} of {figures['corrections']} | {figures['base_sure_right']} | "
        f"{base_p:.3f} | {before['test']:.3f} | "
        f"{before['challenge_test']:.3f} | |"
    )


if __name__ == "__main__":
    main()

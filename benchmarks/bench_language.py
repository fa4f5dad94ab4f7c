"""Language flag (issue 10): how often non-Spanish messages are flagged, how often Spanish ones are
wrongly flagged, and what identification costs, measured in one run.

- data/other_languages.csv: English, Portuguese and Catalan messages written only for this check;
- data/test.csv: Spanish test messages (Spanglish ones reported apart).
Neither was used to set the identification thresholds (see intent.text.language).
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rows(name: str) -> list[dict[str, str]]:
    with (ROOT / "data" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def main() -> None:
    from intent.api import load_model

    model = load_model()
    other, spanish = rows("other_languages.csv"), rows("test.csv")

    results = model.classify([r["text"] for r in other])
    print("== non-Spanish messages (data/other_languages.csv) ==")
    print("| language | mixed | n | flagged other_language | identified as that language |")
    print("|---|---|---|---|---|")
    groups: dict[tuple[str, str], list[tuple[dict[str, str], object]]] = {}
    for r, p in zip(other, results, strict=True):
        groups.setdefault((r["language"], r["mixed"]), []).append((r, p))
    for (lang, mixed), items in sorted(groups.items()):
        flagged = sum(p.status == "other_language" for _, p in items)  # type: ignore[attr-defined]
        exact = sum(p.language == lang for _, p in items)  # type: ignore[attr-defined]
        print(
            f"| {lang} | {mixed} | {len(items)} | {flagged} ({flagged / len(items):.0%}) | {exact / len(items):.0%} |"
        )
    total_flagged = sum(p.status == "other_language" for p in results)
    print(f"all: {total_flagged}/{len(results)} flagged ({total_flagged / len(results):.1%})")

    sp = model.classify([r["text"] for r in spanish])
    wrong = [(r, p) for r, p in zip(spanish, sp, strict=True) if p.status == "other_language"]
    spanglish = [r for r in spanish if r["register"] == "spanglish"]
    wrong_spanglish = [r for r, _ in wrong if r["register"] == "spanglish"]
    print("\n== Spanish messages (data/test.csv) wrongly flagged ==")
    print(f"all: {len(wrong)}/{len(spanish)} ({len(wrong) / len(spanish):.2%}, target <= 1%)")
    print(f"spanglish register: {len(wrong_spanglish)}/{len(spanglish)} ({len(wrong_spanglish) / len(spanglish):.2%})")
    print("identified as:", dict(Counter(p.language for _, p in wrong)))

    texts = [r["text"] for r in spanish] * 8
    model.classify(texts[:50])
    timings = {}
    for name, languages in (("without language id", None), ("with language id", ("es",))):
        start = time.perf_counter()
        for i in range(0, len(texts), 1000):
            model.classify(texts[i : i + 1000], languages)
        timings[name] = len(texts) / (time.perf_counter() - start)
    base = timings["without language id"]
    print("\n== cost, same messages, same run (classify, one process) ==")
    for name, rate in timings.items():
        print(f"{name:<22} {rate:>8,.0f} messages/s  {rate / base:.2f}x")


if __name__ == "__main__":
    main()

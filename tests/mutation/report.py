"""The mutation score of each module `make mutate` mutates, from mutmut's results in mutants/.

Writes reports/mutation.md (per-module table, then every mutant not killed, with its diff) and
prints the table. Mutants listed in tests/mutation/EQUIVALENT.md (no test could tell them from
the original) are left out of the score and listed apart; one listed there but killed is
reported as stale. The score is killed / (mutants - equivalent): a mutant no test runs counts
as surviving. Run from the repository root after `mutmut run`.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EQUIVALENT = Path(__file__).with_name("EQUIVALENT.md")
REPORT = ROOT / "reports" / "mutation.md"
#: mutmut's exit codes: what counts as caught (a failing test, a timeout from an endless loop, a crash).
CAUGHT = {1: "killed", 3: "killed", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", 36: "timeout"}
CAUGHT |= {-11: "segfault", -9: "segfault", 37: "type check"}
STATUS = {0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", None: "not checked"}
TARGET = 0.90


def equivalent_mutants() -> dict[str, str]:
    """Mutant name -> why no test can kill it, from the lines ``- `name`: reason``."""
    found = {}
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        m = re.match(r"- `([^`]+)`: (.+)", line.strip())
        if m:
            found[m.group(1)] = m.group(2)
    return found


def modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["mutmut"]["only_mutate"])


def diff_of(name: str, path: Path) -> str:
    try:
        from mutmut.mutation.diff_apply import get_diff_for_mutant

        return get_diff_for_mutant(name, path=path)
    except Exception as exc:  # the diff is a convenience: the name still identifies the mutant
        return f"(diff unavailable: {exc})"


def main() -> int:
    equivalent = equivalent_mutants()
    seen: set[str] = set()
    rows, details, stale = [], [], []
    totals: Counter[str] = Counter()
    below = []
    for module in modules():
        meta = ROOT / "mutants" / f"{module}.meta"
        if not meta.is_file():
            print(f"no results for {module}: run `make mutate` first", file=sys.stderr)
            return 2
        codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        counts: Counter[str] = Counter()
        for name, code in sorted(codes.items()):
            seen.add(name)
            caught = code in CAUGHT
            if name in equivalent:
                counts["equivalent"] += 1
                if caught:
                    stale.append(name)
                continue
            counts["mutants"] += 1
            if caught:
                counts["killed"] += 1
            else:
                status = STATUS.get(code, f"exit {code}")
                counts[status] += 1
                path = Path(module)
                details.append(f"### `{name}`: {status}\n\n```diff\n{diff_of(name, path)}\n```\n")
        score = counts["killed"] / counts["mutants"] if counts["mutants"] else 1.0
        if score < TARGET:
            below.append(module)
        totals.update(counts)
        rows.append(
            f"| {module.removeprefix('src/')} | {counts['mutants'] + counts['equivalent']} | {counts['equivalent']} "
            f"| {counts['killed']} | {counts['survived']} | {counts['no tests']} | {score:.1%} |"
        )
    score = totals["killed"] / totals["mutants"] if totals["mutants"] else 1.0
    header = [
        "# Mutation testing (`make mutate`)",
        "",
        "Score = killed / (mutants - equivalent); equivalent mutants: tests/mutation/EQUIVALENT.md.",
        "",
        "| module | mutants | equivalent | killed | survived | no tests | score |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        f"| **all** | {totals['mutants'] + totals['equivalent']} | {totals['equivalent']} | {totals['killed']} "
        f"| {totals['survived']} | {totals['no tests']} | {score:.1%} |",
        "",
    ]
    unknown = sorted(set(equivalent) - seen)
    notes = []
    if stale:
        notes.append("Listed as equivalent but killed (update EQUIVALENT.md): " + ", ".join(f"`{n}`" for n in stale))
    if unknown:
        notes.append("Listed as equivalent but no longer generated: " + ", ".join(f"`{n}`" for n in unknown))
    body = [*header, *notes, "", f"## Not killed ({len(details)})", "", *details]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(body), encoding="utf-8")
    print("\n".join([*header, *notes]))
    print(f"report: {REPORT.relative_to(ROOT)}")
    if below:
        print(f"under the {TARGET:.0%} target: {', '.join(below)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Dask benchmark (issue 8): 2,000,000 messages in Parquet partitions, classified by the local
path (`intent classify --jobs 2`) and by a 2-worker Dask local cluster (`--engine dask --jobs 2`),
in the same run; messages/s and the peak memory of each worker process.

    python benchmarks/bench_dask.py [--rows 2000000] [--partitions 20] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_batch import NAMES, corpus_texts, perturb  # the same corpus and perturbations (script dir on path)


def build_parquet(folder: Path, rows: int, partitions: int, seed: int = 11) -> None:
    import pandas as pd

    rng = random.Random(seed)
    texts = [t for t, _ in corpus_texts()]
    folder.mkdir(parents=True, exist_ok=True)
    per = rows // partitions
    for p in range(partitions):
        n = per if p < partitions - 1 else rows - per * (partitions - 1)
        frame = pd.DataFrame(
            {
                "id": [f"m-{p:03d}-{i:07d}" for i in range(n)],
                "sender": [rng.choice(NAMES) for _ in range(n)],
                "text": [perturb(rng.choice(texts), rng) for _ in range(n)],
            }
        )
        frame.to_parquet(folder / f"part-{p:03d}.parquet", index=False)


def _tree(root: int) -> dict[int, int]:
    """RSS in bytes of a process and all its descendants, by pid."""
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parent[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    family, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, pp in parent.items() if pp == pid]
        family.update(kids)
        frontier += kids
    page = os.sysconf("SC_PAGE_SIZE")
    out = {}
    for pid in family:
        try:
            with open(f"/proc/{pid}/statm") as fh:
                out[pid] = int(fh.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
    return out


def run_measured(cmd: list[str]) -> tuple[float, int, int]:
    """Wall seconds, peak RSS of the largest child process (a worker), and of the whole tree."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    per_pid: dict[int, int] = {}
    total = 0
    while proc.poll() is None:
        sample = _tree(proc.pid)
        total = max(total, sum(sample.values()))
        for pid, rss in sample.items():
            per_pid[pid] = max(per_pid.get(pid, 0), rss)
        time.sleep(0.5)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}")
    worker_peak = max((rss for pid, rss in per_pid.items() if pid != proc.pid), default=0)
    return time.perf_counter() - start, worker_peak, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--partitions", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="intent-bench-dask-"))
    parts = workdir / "parts"
    t0 = time.perf_counter()
    build_parquet(parts, args.rows, args.partitions)
    print(
        f"built {args.rows:,} rows in {args.partitions} Parquet partitions in {time.perf_counter() - t0:.0f}s",
        flush=True,
    )
    intent_bin = str(Path(sys.executable).parent / "intent")
    results = {}
    for name, extra in (
        ("local, --jobs 2", ["-o", str(workdir / "local.csv")]),
        ("dask, 2-worker local cluster", ["-o", str(workdir / "dask_out"), "--engine", "dask"]),
    ):
        seconds, worker_peak, total = run_measured(
            [intent_bin, "classify", str(parts), "--jobs", "2", "--quiet", "--force", *extra]
        )
        results[name] = (args.rows / seconds, worker_peak, total)
        print(
            f"{name}: {seconds:.0f}s, {args.rows / seconds:,.0f} messages/s, peak worker RSS "
            f"{worker_peak / 2**20:,.0f} MiB, peak total {total / 2**20:,.0f} MiB",
            flush=True,
        )
    base = results["local, --jobs 2"][0]
    print("\n| path (same rows, same run) | messages/s | vs local | peak RSS per worker | peak RSS all processes |")
    print("|---|---|---|---|---|")
    for name, (rate, worker_peak, total) in results.items():
        print(
            f"| {name} | {rate:,.0f} | {rate / base:.2f}x | {worker_peak / 2**20:,.0f} MiB | {total / 2**20:,.0f} MiB |"
        )


if __name__ == "__main__":
    main()

"""Reader benchmark (issue 17): what bounding every field costs, and what it saves.

1. Speed: rows/s of `CsvReader` (lines read in bounded pieces, fields cut at MAX_FIELD_CHARS)
   against the csv module reading the same file directly, on a LinkedIn-style messages.csv.
2. Memory: peak Python allocations (tracemalloc) while reading one quoted field of --field-mb
   MB, generated on the fly, with `CsvReader` and with the csv module directly.

    python benchmarks/bench_reader.py [--rows 1000000] [--field-mb 450]
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import build_csv

from intent.io.csv_io import CsvReader


class OneField(io.RawIOBase):
    """A CSV made on the fly: a header, one quoted field of ``size`` bytes, one short row."""

    def __init__(self, size: int) -> None:
        block = b'te ofrecemos un gran producto, ""barato"" ' * 4000
        self._parts: Iterator[bytes] = iter([b'id,text\n1,"', *[block] * (size // len(block)), b'"\n2,hola\n'])
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            self._pending = next(self._parts, b"")
            if not self._pending:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n], self._pending = self._pending[:n], self._pending[n:]
        return n


def text(raw: io.RawIOBase) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BufferedReader(raw, 1 << 20), encoding="utf-8", newline="")


def with_reader(stream: io.TextIOWrapper) -> int:
    return sum(1 for _ in CsvReader(stream, "bench.csv", ","))


def with_csv_module(stream: io.TextIOWrapper) -> int:
    reader = csv.reader(stream, strict=True)
    next(reader)
    return sum(1 for _ in reader)


def speed(path: Path, read: Callable[[io.TextIOWrapper], int]) -> tuple[int, float]:
    started = time.perf_counter()
    with path.open("rb", buffering=0) as raw:
        rows = read(text(raw))
    return rows, time.perf_counter() - started


def peak(size: int, read: Callable[[io.TextIOWrapper], int]) -> float:
    tracemalloc.start()
    try:
        read(text(OneField(size)))
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--field-mb", type=float, default=450)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "messages.csv"
        build_csv(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        for name, read in (("csv module", with_csv_module), ("CsvReader", with_reader)):
            speed(path, read)  # warm the page cache
            rows, seconds = speed(path, read)
            print(f"{name:<11} {rows:,} rows of {size_mb:,.0f} MB in {seconds:.2f}s ({rows / seconds:,.0f} rows/s)")
    size = int(args.field_mb * 1e6)
    for name, read in (("csv module", with_csv_module), ("CsvReader", with_reader)):
        print(f"{name:<11} one {args.field_mb:,.0f} MB field: peak Python memory {peak(size, read):,.0f} MB")


if __name__ == "__main__":
    main()

"""Web benchmark (issue 9): the largest upload the page accepts by default, against the terminal.

Builds a LinkedIn-style messages.csv just under the upload limit (100 MB by default), then in
the same run:
  - baseline: `intent classify FILE -o OUT --jobs J` (wall time, peak RSS of its process tree);
  - `intent serve --jobs J`: upload through POST /api/jobs, poll to done, fetch the table's rows
    and download the labeled CSV, as the page does (wall time per step, peak RSS of the server tree);
and checks that the download is byte-identical to the terminal's output. Also shows a file
just over the limit is refused with 413 before it is classified.

    python benchmarks/bench_web.py [--mb 99] [--jobs 2] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from bench_batch import HEADER, NAMES, _tree_rss_bytes, corpus_texts, perturb, run_measured


def build_messages(path: Path, megabytes: float, seed: int = 5) -> int:
    """messages.csv of about MEGABYTES; returns its row count."""
    rng = random.Random(seed)
    texts = [t for t, _ in corpus_texts()]
    limit = int(megabytes * 1_000_000)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        while fh.tell() < limit - 5_000:
            writer.writerow(
                [
                    f"2-{rng.getrandbits(48):012x}",
                    rng.choice(NAMES),
                    rng.choice(NAMES),
                    f"2026-{1 + rows % 12:02d}-{1 + rows % 28:02d} 10:{rows % 60:02d}:00 UTC",
                    "",
                    perturb(rng.choice(texts), rng),
                    "INBOX",
                ]
            )
            rows += 1
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(client: httpx.Client, tries: int = 300) -> None:
    """Poll /api/health until the server answers (it loads its model first)."""
    for _ in range(tries):
        try:
            client.get("/api/health")
            return
        except httpx.TransportError:
            time.sleep(0.2)


class PeakSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, _tree_rss_bytes(self.pid))
            time.sleep(0.2)


def browser_upload(url: str, data: Path, rows: int) -> None:
    """The same file through the page in headless Chromium: time until the table shows, and a filter."""
    import shutil

    chromium = shutil.which("chromium")
    if chromium is None:
        print("  (no Chromium: the browser step is skipped; see .ci/install-browser)")
        return
    from playwright.sync_api import expect, sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        t0 = time.perf_counter()
        page.set_input_files("#file-input", str(data))
        expect(page.locator("#results-title")).to_contain_text(f"{rows:,}".replace(",", "."), timeout=1_800_000)
        shown = time.perf_counter() - t0
        t1 = time.perf_counter()
        page.select_option("#filter-intent", "gatekeeping_rejection")
        expect(page.locator("#shown-count")).to_contain_text(" de ")
        filtered = time.perf_counter() - t1
        heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0")
        page.screenshot(path=str(data.with_suffix(".png")))
        browser.close()
    print(
        f"  in Chromium: table shown {shown:.1f}s after choosing the file; filter by intent {filtered * 1000:.0f} ms; "
        f"JS heap {heap / 2**20:,.0f} MiB; screenshot {data.with_suffix('.png')}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=99.0, help="size of the upload in MB (default limit: 100)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="intent-bench-web-"))
    workdir.mkdir(parents=True, exist_ok=True)
    intent = [sys.executable, "-m", "intent.cli"]

    data = workdir / "messages.csv"
    rows = build_messages(data, args.mb)
    size = data.stat().st_size
    print(f"input: {data.name}, {size / 1e6:.1f} MB, {rows:,} messages; --jobs {args.jobs}")

    out = workdir / "cli.csv"
    cli_s, cli_peak = run_measured([*intent, "classify", str(data), "-o", str(out), "--force", "--quiet",
                                    "--jobs", str(args.jobs)])  # fmt: skip
    print(f"baseline intent classify: {cli_s:.1f}s ({rows / cli_s:,.0f} msg/s), peak RSS {cli_peak / 2**20:,.0f} MiB")

    port = free_port()
    log = (workdir / "serve.log").open("w")
    server = subprocess.Popen([*intent, "serve", "--port", str(port), "--jobs", str(args.jobs)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=600) as client:
            wait_until_up(client)
            idle = _tree_rss_bytes(server.pid)
            sampler = PeakSampler(server.pid)
            sampler.start()
            t0 = time.perf_counter()
            with data.open("rb") as fh:
                started = client.post("/api/jobs", files={"file": ("messages.csv", fh, "text/csv")})
            started.raise_for_status()
            job = started.json()["id"]
            t_upload = time.perf_counter() - t0
            while (status := client.get(f"/api/jobs/{job}").json())["state"] not in ("done", "failed"):
                time.sleep(0.2)
            if status["state"] != "done":
                raise SystemExit(f"job failed: {status['error']}")
            t_done = time.perf_counter() - t0
            table = client.get(f"/api/jobs/{job}/rows")
            t_rows = time.perf_counter() - t0
            download = client.get(f"/api/jobs/{job}/download")
            t_all = time.perf_counter() - t0
            sampler.stop.set()
            sampler.join()
            same = hashlib.sha256(download.content).digest() == hashlib.sha256(out.read_bytes()).digest()
            print(
                f"intent serve, as the page: upload {t_upload:.1f}s, classified at {t_done:.1f}s, table rows "
                f"({len(table.content) / 1e6:.0f} MB JSON) at {t_rows:.1f}s, download at {t_all:.1f}s"
            )
            print(
                f"  end to end {t_all:.1f}s = {t_all / cli_s:.2f}x the terminal; server peak RSS "
                f"{sampler.peak / 2**20:,.0f} MiB (idle {idle / 2**20:,.0f} MiB) = {sampler.peak / cli_peak:.2f}x "
                f"the terminal's; download identical to the terminal's output: {same}"
            )

            browser_upload(url, data, rows)

            over = workdir / "over.csv"
            with over.open("wb") as fh:
                fh.write(data.read_bytes())
                fh.write(b"x" * 2_000_000)
            t0 = time.perf_counter()
            with over.open("rb") as fh:
                refused = client.post("/api/jobs", files={"file": ("over.csv", fh, "text/csv")})
            print(
                f"  {over.stat().st_size / 1e6:.1f} MB upload: HTTP {refused.status_code} "
                f"({refused.json().get('code')}) in {time.perf_counter() - t0:.2f}s"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


if __name__ == "__main__":
    main()

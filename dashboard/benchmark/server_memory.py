"""The app server's own memory and page times in a real browser: serve a database, walk the journey, read RSS.

`python -m dashboard.benchmark.server_memory --db URL --user NAME` (password in $PAINTRAIL_PASSWORD):
starts `paintrail serve` on the database, signs in with Chromium (/usr/bin/chromium, Playwright), opens
the worklist, a patient and the cohort page, and after each prints the server's resident memory (VmRSS)
and its peak (VmHWM) from /proc. The server evaluates every patient when it starts; the journey begins
once it says so (GET /_paintrail/ready), as a clinic's first person arrives after a start, so the
first page is the first one after a start (seconds from the sign-in click), not a cold evaluation.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGE_TIMEOUT_MS = 180_000  # a cold worklist of 100,000 patients after a server start


def server_memory_mb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of the process and its children, in MB (the largest of them)."""
    pids = [pid, *map(int, subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split())]
    memory = {"rss_mb": 0, "peak_mb": 0}
    for each in pids:
        fields = dict(
            line.split(":", 1) for line in Path(f"/proc/{each}/status").read_text().splitlines() if ":" in line
        )
        memory["rss_mb"] = max(memory["rss_mb"], int(fields["VmRSS"].split()[0]) // 1024)
        memory["peak_mb"] = max(memory["peak_mb"], int(fields["VmHWM"].split()[0]) // 1024)
    return memory


def _wait_healthy(url: str, server: subprocess.Popen) -> None:
    for _ in range(240):
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode})")
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not answer within 2 minutes")


def _wait_ready(url: str, server: subprocess.Popen) -> None:
    """Until the server has evaluated every patient at start (GET /_paintrail/ready answers 200)."""
    from dashboard.server_start import READY_PATH

    for _ in range(1200):
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode})")
        try:
            urllib.request.urlopen(url + READY_PATH, timeout=2)
            return
        except OSError:  # 503 (HTTPError is an OSError) while the evaluation runs
            time.sleep(0.2)
    raise SystemExit("the server did not evaluate the clinic within 4 minutes")


def journey(db: str, user: str, password: str, port: int) -> list[tuple[str, float, dict[str, int]]]:
    from playwright.sync_api import sync_playwright

    url = f"http://127.0.0.1:{port}"
    paintrail = str(Path(sys.executable).with_name("paintrail"))
    server = subprocess.Popen(
        [paintrail, "serve", "--db", db, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    steps = []
    try:
        started = time.perf_counter()
        _wait_healthy(url, server)
        steps.append(("server started", time.perf_counter() - started, server_memory_mb(server.pid)))
        _wait_ready(url, server)
        steps.append(("every patient evaluated", time.perf_counter() - started, server_memory_mb(server.pid)))
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            started = time.perf_counter()
            page.goto(url)
            page.get_by_role("button", name="Sign in").wait_for(timeout=PAGE_TIMEOUT_MS)
            steps.append(("sign-in page", time.perf_counter() - started, server_memory_mb(server.pid)))
            page.get_by_role("textbox", name="User name").fill(user)
            page.locator("input[type=password]").fill(password)
            started = time.perf_counter()  # a person's wait starts with the click
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("button", name="Open patient").wait_for(timeout=PAGE_TIMEOUT_MS)
            # the list itself, drawn (its cells are on a canvas: readable, never "visible")
            page.locator("[role=gridcell]").first.wait_for(state="attached", timeout=PAGE_TIMEOUT_MS)
            steps.append(("worklist, first page", time.perf_counter() - started, server_memory_mb(server.pid)))
            for label, open_page in (
                ("patient (first chart)", lambda: page.get_by_role("button", name="Open patient").click()),
                ("cohort (cold)", lambda: page.get_by_role("link", name="Cohort").click()),
            ):
                started = time.perf_counter()
                open_page()
                page.locator(".js-plotly-plot").first.wait_for(timeout=PAGE_TIMEOUT_MS)
                steps.append((label, time.perf_counter() - started, server_memory_mb(server.pid)))
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
    return steps


BROWSER_ACCOUNT = "bench-browser"
# journey() step label -> the benchmark's measure key
BROWSER_MEASURES = {
    "every patient evaluated": "server_ready",
    "sign-in page": "sign_in_page_browser",
    "worklist, first page": "first_worklist_browser",
    "patient (first chart)": "first_patient_browser",
    "cohort (cold)": "cohort_browser",
}


def measure(url: str, runs: int) -> dict[str, dict[str, Any]]:
    """For `paintrail bench`: `runs` server starts on the seeded database, each walked in Chromium as a
    clinician (an account made up for the run): the seconds of each step and the server's peak RSS."""
    from dashboard.benchmark.measures import summary
    from dashboard.benchmark.progress import say
    from dashboard.benchmark.whole_process import add_account

    password = add_account(url, BROWSER_ACCOUNT)
    seconds: dict[str, list[float]] = {key: [] for key in BROWSER_MEASURES.values()}
    peaks: list[float] = []
    for run in range(runs):
        steps = journey(url, BROWSER_ACCOUNT, password, _free_port())
        for label, taken, _memory in steps:
            if label in BROWSER_MEASURES:
                seconds[BROWSER_MEASURES[label]].append(taken)
        peaks.append(max(memory["peak_mb"] for _label, _taken, memory in steps) * 1024**2)
        say(
            f"  run {run + 1}/{runs}: "
            + ", ".join(f"{label} {taken:.1f} s" for label, taken, _ in steps if label in BROWSER_MEASURES)
        )
    return {key: summary(values) for key, values in seconds.items()} | {"server_peak_rss": summary(peaks, "bytes")}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL to serve (seed it first: paintrail seed --dense)")
    parser.add_argument("--user", required=True, help="an account to sign in with ($PAINTRAIL_PASSWORD)")
    parser.add_argument("--port", type=int, default=8598)
    args = parser.parse_args(argv)
    password = os.environ.get("PAINTRAIL_PASSWORD")
    if not password:
        parser.error("set PAINTRAIL_PASSWORD to the account's password")
    print(f"{'step':28} {'seconds':>8} {'RSS MB':>8} {'peak MB':>8}")
    for label, seconds, memory in journey(args.db, args.user, password, args.port):
        print(f"{label:28} {seconds:8.1f} {memory['rss_mb']:8} {memory['peak_mb']:8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

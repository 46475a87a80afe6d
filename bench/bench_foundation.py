"""Foundation speed: warm load + describe, first page served, Explore drawn in the browser.

Run from the checkout with GENRE_DATA_DIR set and Debian's chromium installed:

    python bench/bench_foundation.py [--repeats 5]

Prints each figure, its target and the ratio figure / target (below 1.0 meets the target).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "browser")]

from genre_core.cli.main import describe  # noqa: E402
from genre_core.data.dataset import load_dataset  # noqa: E402


def report(name: str, seconds: list[float], target: float) -> None:
    median = statistics.median(seconds)
    runs = ", ".join(f"{s:.3f}" for s in seconds)
    print(
        f"{name:<44} median {median:7.3f} s  target {target:4.1f} s  ratio {median / target:5.2f}"
        f"   runs: {runs}"
    )


def bench_load(repeats: int) -> None:
    start = time.perf_counter()
    describe(load_dataset("spotify-30k"))
    cold = time.perf_counter() - start
    warm = []
    for _ in range(repeats):
        start = time.perf_counter()
        describe(load_dataset("spotify-30k"))
        warm.append(time.perf_counter() - start)
    print(f"(first load + describe in this process, imports done: {cold:.3f} s)")
    report("warm load + describe of spotify-30k", warm, 1.0)


def drawn_at(page) -> float:
    """Wait until the page is drawn; the page-clock time (ms) of its last change."""
    from browser_helpers import wait_drawn

    wait_drawn(page)
    return page.evaluate("() => window.__since")


def bench_browser(repeats: int) -> None:
    from playwright.sync_api import sync_playwright

    from conftest import BROWSER_ARGS, CHROMIUM, start_app, stop_app

    served, explore = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        for attempt in range(repeats):
            port = 8700 + attempt
            launched = time.perf_counter()
            try:
                process = start_app(port)
            except (RuntimeError, TimeoutError) as error:
                raise SystemExit(str(error)) from None
            healthy = time.perf_counter() - launched
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(f"http://127.0.0.1:{port}/")
                page.get_by_role("heading", name="Data", level=1).wait_for()
                served.append(time.perf_counter() - launched)
                drawn_at(page)
                click = page.evaluate("() => Date.now()")
                page.get_by_test_id("stSidebarNav").get_by_role("link", name="Explore").click()
                page.get_by_role("heading", name="Explore", level=1).wait_for()
                explore.append((drawn_at(page) - click) / 1000)
                page.close()
            finally:
                stop_app(process)
            print(f"  run {attempt + 1}: health after {healthy:.2f} s")
        browser.close()
    report("first page served after `streamlit run`", served, 5.0)
    report("Explore fully drawn after navigating to it", explore, 3.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if not os.environ.get("GENRE_DATA_DIR"):
        raise SystemExit("set GENRE_DATA_DIR to the datasets folder (e.g. ../shared/datasets)")
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    bench_load(args.repeats)
    bench_browser(args.repeats)


if __name__ == "__main__":
    main()

"""N students open the Train page and press Train together: how long until each sees the page,
and its result.

One `streamlit run` of the dashboard (its own embedded job engine, as the README's first command
starts it) and one Chromium with N contexts on this machine. Each context opens the app, follows
the sidebar to Train (first render: from `goto` until the page is fully drawn), then all press
Train (logistic regression on spotify-30k, the page's default) within a second, and each waits
for its own "Evaluation" (time to result, from its own click). Printed per N: median, p95 and
worst of both, and results seen out of N (target: all).

    GENRE_DATA_DIR=../shared/datasets python bench/bench_sessions.py --sessions 5 10 20
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

from browser_helpers import open_page  # noqa: E402
from conftest import free_port, start_app, stop_app  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def figures(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: none"
    return (
        f"{name}: median {statistics.median(values):6.1f} s, p95 {p95(values):6.1f} s, "
        f"worst {max(values):6.1f} s"
    )


def one_class(browser, url: str, sessions: int, timeout: float) -> dict:
    from playwright.sync_api import expect

    contexts = [
        browser.new_context(viewport={"width": 1400, "height": 1600}) for _ in range(sessions)
    ]
    try:
        pages, first_render = [], []
        for context in contexts:
            page = context.new_page()
            page.set_default_timeout(timeout * 1000)
            started = time.perf_counter()
            open_page(page, url, "Train")
            first_render.append(time.perf_counter() - started)
            pages.append(page)
        clicked = []
        for page in pages:
            page.get_by_test_id("stButton").get_by_role("button", name="Train").click()
            clicked.append(time.perf_counter())
        results, missing = [], 0
        for page, at in zip(pages, clicked, strict=True):
            try:
                heading = page.get_by_role("heading", name="Evaluation")
                expect(heading).to_be_visible(timeout=timeout * 1000)
                results.append(time.perf_counter() - at)
            except AssertionError:
                missing += 1
        return {"first_render": first_render, "results": results, "missing": missing}
    finally:
        for context in contexts:
            context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait per page")
    args = parser.parse_args()
    if not os.environ.get("GENRE_DATA_DIR"):
        raise SystemExit("set GENRE_DATA_DIR (e.g. ../shared/datasets)")
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = start_app(port, timeout=180)
    url = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            # the server starts its job engine on the first job: a teacher's trial run, not a
            # student's wait
            warm = browser.new_page()
            open_page(warm, url, "Train")
            warm.get_by_test_id("stButton").get_by_role("button", name="Train").click()
            warm.get_by_role("heading", name="Evaluation").wait_for(timeout=args.timeout * 1000)
            warm.close()
            for sessions in args.sessions:
                found = one_class(browser, url, sessions, args.timeout)
                seen = len(found["results"])
                print(f"\n{sessions} sessions (logistic regression each, spotify-30k)")
                print("  " + figures("first render  ", found["first_render"]))
                print("  " + figures("time to result", found["results"]))
                print(f"  results seen   {seen} of {sessions} (target: all)")
            browser.close()
    finally:
        stop_app(server)


if __name__ == "__main__":
    main()

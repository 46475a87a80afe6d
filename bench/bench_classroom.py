"""A class trains at once: N sessions on the job engine, against the same jobs one after another.

Each of N sessions submits one XGBoost fit (defaults, spotify-30k's numeric features, an 80/20
stratified split) and every second session also a small network (the "development" preset,
10 epochs, batches of 256). Measured side by side in one run, on this machine:

- sequential: the same jobs one after another in this process (the whole machine's threads);
- without engine: the same jobs in ``--workers`` plain processes of one thread, taken in
  order (what running jobs side by side costs this machine, whatever schedules them);
- the class: the jobs submitted at once by N owners to the engine's embedded Dask cluster
  (``--workers`` processes, one thread each), while a ``streamlit run`` of the dashboard,
  attached to the same cluster, is loaded in Chromium every ``--every`` seconds.

The sequential run gives each job one thread, a worker's budget (so "the same jobs"), and is
also shown with all of the machine's threads.

Printed: makespan against sequential ÷ workers (target ≤ 1.15), the slowest job's run time
against its fair share (its time alone × jobs running at once ÷ workers; target ≤ 1.5), the p95
time for a page to be drawn while the class trains (from its navigation's start to its
last new element; target < 2 s), the web server's peak RSS,
and jobs lost (target 0). ``--sessions 10 20`` runs both class sizes; the sequential run is
measured once per job type at N = the first size and scaled by the count of jobs for larger
classes (said so in the output).

    GENRE_DATA_DIR=../shared/datasets python bench/bench_classroom.py --sessions 10 20
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "browser")]

from genre_core import experiments  # noqa: E402
from genre_core.data.splits import SplitSpec  # noqa: E402
from genre_core.experiments.net import NetSpec  # noqa: E402
from genre_core.experiments.recipe import DataSpec  # noqa: E402
from genre_core.experiments.train import ModelChoice, TrainSpec  # noqa: E402
from genre_core.models.presets import preset_params  # noqa: E402
from genre_core.runs.budget import default_threads, thread_budget  # noqa: E402
from genre_core.runs.engine import Engine  # noqa: E402
from genre_core.settings import lab_settings  # noqa: E402

DATA = DataSpec("spotify-30k")


def xgboost_recipe(seed: int) -> TrainSpec:
    return TrainSpec(DATA, SplitSpec.of(test=0.2, seed=seed), (ModelChoice("xgboost"),), log=False)


def network_recipe(seed: int) -> NetSpec:
    params = {**preset_params("development"), "max_epochs": 10, "batch_size": 256}
    params.pop("random_state", None)
    split = SplitSpec.of(test=0.2, validation=0.2, seed=seed)
    return NetSpec(DATA, split, params, preset="development", seed=seed, log=False)


def class_jobs(sessions: int) -> list[tuple[str, object]]:
    """(owner, recipe) for every job of a class of ``sessions`` students."""
    jobs = []
    for i in range(sessions):
        jobs.append((f"student-{i}", xgboost_recipe(i)))
        if i % 2 == 0:
            jobs.append((f"student-{i}", network_recipe(i)))
    return jobs


def sequential(jobs, threads: int) -> dict[str, float]:
    """Median seconds per job type, run one after another in this process with ``threads``."""
    seconds: dict[str, list[float]] = {}
    with thread_budget(threads):
        for _, recipe in jobs:
            started = time.perf_counter()
            experiments.run(recipe)
            seconds.setdefault(recipe.kind, []).append(time.perf_counter() - started)
    return {kind: statistics.median(values) for kind, values in seconds.items()}


def _plain_start(ready) -> None:
    """A plain process's set-up, as a worker's: one thread, the modules a worker imports ahead,
    and the first read of the data (the warm-up job)."""
    import importlib

    from genre_core.runs.worker import WARM_MODULES

    global _BUDGET
    _BUDGET = thread_budget(1)
    _BUDGET.__enter__()
    for module in WARM_MODULES:
        importlib.import_module(module)
    experiments.run(xgboost_recipe(99))
    ready.wait()  # every process set up before the first job starts


def _plain_job(recipe) -> tuple[str, float, float]:
    started = time.time()
    experiments.run(recipe)
    return recipe.kind, started, time.time()


def plain_processes(jobs, workers: int) -> tuple[float, list[tuple[str, float]]]:
    """The same jobs on ``workers`` plain processes of one thread, no engine, taken in order:
    (makespan from the first job's start to the last one's end, [(kind, seconds)]). What
    running jobs side by side costs on this machine by itself."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # torch and OpenMP do not survive a fork
    ready = context.Barrier(workers)
    with context.Pool(workers, initializer=_plain_start, initargs=(ready,)) as pool:
        spans = pool.map(_plain_job, [recipe for _, recipe in jobs], chunksize=1)
    makespan = max(end for _, _, end in spans) - min(start for _, start, _ in spans)
    return makespan, [(kind, end - start) for kind, start, end in spans]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# When the page reached the state it was found drawn in (its last new element), in seconds from
# the start of its navigation; ``wait_drawn`` then watches it stay so for half a second.
DRAWN_AT = "() => window.__since - performance.timeOrigin"


class PageProbe(threading.Thread):
    """Loads a dashboard page in Chromium every ``every`` s and records the time until it is
    drawn: alternately as a new visitor (a fresh browser context: nothing cached, the app's
    scripts fetched and compiled again) and as a reload of a tab already open (a student's tab
    during the class). ``times``: from the navigation's start to the page's last new element;
    ``waited``: until the probe was sure of it (half a second of stillness later)."""

    def __init__(self, url: str, every: float) -> None:
        super().__init__(daemon=True)
        self.url, self.every = url, every
        self.times: dict[str, list[float]] = {"new visitor": [], "reload": []}
        self.waited: dict[str, list[float]] = {"new visitor": [], "reload": []}
        self.stop = threading.Event()

    def run(self) -> None:
        from playwright.sync_api import sync_playwright

        from browser_helpers import wait_drawn

        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=args)
            tab = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
            tab.goto(self.url)
            wait_drawn(tab)
            fresh = True
            while not self.stop.is_set():
                context = browser.new_context(viewport={"width": 1400, "height": 1600})
                page = context.new_page() if fresh else tab
                started = time.perf_counter()
                if fresh:
                    page.goto(self.url)
                else:
                    page.reload()
                wait_drawn(page)
                kind = "new visitor" if fresh else "reload"
                self.waited[kind].append(time.perf_counter() - started)
                self.times[kind].append(page.evaluate(DRAWN_AT) / 1000)
                context.close()
                fresh = not fresh
                self.stop.wait(self.every)
            browser.close()


def percentile95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)] if ordered else float("nan")


def page_times(probe: PageProbe | None) -> dict[str, list[float]]:
    return {kind: list(values) for kind, values in probe.times.items()} if probe else {}


def start_server(scheduler: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "GENRE_SCHEDULER": scheduler}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
         "--server.headless", "true", "--server.port", str(port),
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, f"http://127.0.0.1:{port}/train"
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("streamlit did not start within 120 s")


def rss_mb(pid: int) -> float:
    import psutil

    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 1e6


def _browser(name: str) -> bool:
    """Chromium's processes and Playwright's driver (node) that runs them."""
    return "chrom" in name or "headless" in name or name == "node"


def cpu_by_group(workers: set[int], server_pid: int | None) -> dict[str, float]:
    """Processor seconds used so far by the jobs (the Dask workers), the pages (the web server
    and the probe's Chromium), this process (scheduler and client), and the machine in all."""
    import psutil

    groups = {"jobs": 0.0, "pages": 0.0, "bench": 0.0}
    server = set()
    if server_pid:
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(server_pid)
            server = {server_pid, *(p.pid for p in root.children(recursive=True))}
    for process in psutil.process_iter(["pid", "name", "cpu_times"]):
        times = process.info["cpu_times"]
        if times is None:
            continue
        used = times.user + times.system
        if process.info["pid"] in workers:
            groups["jobs"] += used
        elif process.info["pid"] in server or _browser(process.info["name"] or ""):
            groups["pages"] += used
        elif process.info["pid"] == os.getpid():
            groups["bench"] += used
    machine = psutil.cpu_times()
    groups["machine"] = machine.user + machine.nice + machine.system
    return groups


def run_class(engine: Engine, sessions: int, server, every: float) -> dict:
    """Submit the class's jobs at once and wait for them; with ``server`` (process, url) a
    browser loads a page every ``every`` s meanwhile."""
    probe = PageProbe(server[1], every) if server else None
    if probe:
        probe.start()
    peak = rss_mb(server[0].pid) if server else float("nan")
    workers = set(engine.client.run(os.getpid).values())
    before = cpu_by_group(workers, server[0].pid if server else None)
    started = time.time()
    submitted = [engine.submit(recipe, owner) for owner, recipe in class_jobs(sessions)]
    while any(job.running for job in submitted):
        if server:
            peak = max(peak, rss_mb(server[0].pid))
        time.sleep(0.5)
    makespan = time.time() - started
    after = cpu_by_group(workers, server[0].pid if server else None)
    if probe:
        probe.stop.set()
        probe.join(120)
    return {
        "jobs": submitted,
        "makespan": makespan,
        "renders": page_times(probe),
        "waited": {k: list(v) for k, v in probe.waited.items()} if probe else {},
        "server_rss_mb": peak,
        "cpu": {group: after[group] - before[group] for group in after},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[10, 20])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between page loads")
    parser.add_argument(
        "--nice",
        type=int,
        default=lab_settings()["nice"],
        help="nice levels of the workers below the server (default: the lab's setting)",
    )
    parser.add_argument(
        "--no-page",
        action="store_true",
        help="no web server and no browser: the engine's own overhead only",
    )
    args = parser.parse_args()
    if not os.environ.get("GENRE_DATA_DIR"):
        raise SystemExit("set GENRE_DATA_DIR (e.g. ../shared/datasets)")

    first = class_jobs(args.sessions[0])
    print(f"sequential: {len(first)} jobs of a class of {args.sessions[0]}, one after another")
    machine = sequential(first, default_threads())
    alone = sequential(first, 1)  # a worker's budget: the same job as the class runs it
    for kind in alone:
        print(f"  {kind:<6} median {alone[kind]:6.2f} s alone with 1 thread (a worker's budget), "
              f"{machine[kind]:6.2f} s with all {default_threads()}")  # fmt: skip

    plain = {}
    for sessions in args.sessions:
        plain[sessions] = plain_processes(class_jobs(sessions), args.workers)

    engine = Engine(workers=args.workers, nice=args.nice)
    server = None if args.no_page else start_server(engine.cluster.scheduler_address)
    try:
        warm = [engine.submit(xgboost_recipe(99), f"warm-up-{i}") for i in range(args.workers)]
        for job in warm:  # every worker's imports and first read of the data, as sequential's
            engine.wait(job, timeout=600)
        idle = {}
        if server:  # the same probe with no job running, for the class's figures to be read by
            probe = PageProbe(server[1], args.every)
            probe.start()
            time.sleep(8 * (args.every + 1.5))
            probe.stop.set()
            probe.join(120)
            idle = {kind: statistics.median(v) for kind, v in page_times(probe).items() if v}
            print("\npage drawn with no job running: " + ", ".join(
                f"{kind} median {value:.2f} s" for kind, value in idle.items()))  # fmt: skip
        for sessions in args.sessions:
            result = run_class(engine, sessions, server, args.every)
            jobs = result["jobs"]
            serial = sum(alone[job.kind] for job in jobs)
            serial_all = sum(machine[job.kind] for job in jobs)
            done = [j for j in jobs if j.status == "done"]
            ratios = [(j.finished - j.started) / alone[j.kind] for j in done]
            ideal = serial / args.workers
            scaled = "" if sessions == args.sessions[0] else " (scaled from the first class)"
            print(f"\nclass of {sessions}: {len(jobs)} jobs on {args.workers} workers")
            print(f"  sequential       {serial:7.1f} s with 1 thread, {serial_all:.1f} s with all "
                  f"{default_threads()}{scaled}")  # fmt: skip
            ratio = result["makespan"] / ideal
            print(f"  makespan         {result['makespan']:7.1f} s   sequential/workers "
                  f"{ideal:6.1f} s   ratio {ratio:.2f} (target <= 1.15)")  # fmt: skip
            span, times = plain[sessions]
            print(f"  without engine   {span:7.1f} s on {args.workers} plain processes: ratio "
                  f"{span / ideal:.2f}, slowest job "
                  f"{max(t / alone[kind] for kind, t in times):.2f} x its fair share "
                  "(the machine's own cost of jobs side by side)")  # fmt: skip
            slowest = max(done, key=lambda j: (j.finished - j.started) / alone[j.kind])
            print(f"  slowest job      {max(ratios):.2f} x its fair share, median "
                  f"{statistics.median(ratios):.2f} (target <= 1.5); the slowest: a {slowest.kind} "
                  f"job, {slowest.finished - slowest.started:.1f} s against "
                  f"{alone[slowest.kind]:.1f} s alone")  # fmt: skip
            for kind in sorted(alone):
                of_kind = [r for j, r in zip(done, ratios, strict=True) if j.kind == kind]
                if of_kind:
                    print(f"    {kind:<6} jobs: median {statistics.median(of_kind):.2f}, "
                          f"max {max(of_kind):.2f} x their fair share")  # fmt: skip
            for kind, renders in result["renders"].items():
                median = statistics.median(renders) if renders else float("nan")
                print(f"  page drawn       {kind + ':':<13} p95 {percentile95(renders):.2f} s, "
                      f"median {median:.2f} s over {len(renders)} loads "
                      f"(target < 2 s; idle: {idle.get(kind, float('nan')):.2f} s)")  # fmt: skip
                waited = result["waited"].get(kind) or [float("nan")]
                print(f"                   {'':<13} the probe was sure of it (0.5 s still) "
                      f"after {statistics.median(waited):.2f} s, median")  # fmt: skip
            print(f"  against all {default_threads()} threads: makespan / sequential "
                  f"{result['makespan'] / serial_all:.2f}")  # fmt: skip
            cpu = result["cpu"]
            other = cpu["machine"] - cpu["jobs"] - cpu["pages"] - cpu["bench"]
            capacity = result["makespan"] * (os.cpu_count() or 1)
            print(f"  processor        jobs {cpu['jobs']:.0f} s, pages (server + browser) "
                  f"{cpu['pages']:.0f} s, scheduler and client {cpu['bench']:.0f} s, ended "
                  f"or other processes {other:.0f} s (the probe's closed tabs), of "
                  f"{capacity:.0f} core-s ({cpu['machine'] / capacity:.0%} busy)")  # fmt: skip
            print(f"  web server RSS   {result['server_rss_mb']:.0f} MB at most")
            print(f"  jobs lost        {len(jobs) - len(done)} (target 0)")
    finally:
        if server:
            server[0].terminate()
            server[0].wait(30)
        engine.close()


if __name__ == "__main__":
    main()

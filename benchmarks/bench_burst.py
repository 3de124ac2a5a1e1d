#!/usr/bin/env python
"""A burst of secretaries opening the 支部自评 page at once against one server. Prints figures; not a test.

    .venv/bin/python benchmarks/bench_burst.py                    # 10, 20 and 50 pages at once
    .venv/bin/python benchmarks/bench_burst.py --pages 10         # one burst of 10
    .venv/bin/python benchmarks/bench_burst.py --pages 20 --timeout 900 --max-starting 1

For each burst size N: a fresh Voila (``python -m assessment.serve``, the package's voila.json and
SipingVoila defaults, but ``max_kernels`` N + 5 so that the cap is not what is measured, and
``max_starting`` from ``--max-starting``) serving a copy of
notebooks/self_assess.ipynb, its kernels pointed at a fresh SQLite database seeded with a demo street of N
branches, one access code each. N headless Chromium contexts (one browser) are sent to their own link at the
same moment; a page is usable when "当前状态：" shows (the page's widgets rendered by its kernel). Reported:

- time to usable from the common start: min, p50, p95, max (nearest rank), and how many pages failed
  (not usable within ``--timeout``; a busy page "服务器繁忙" counts as failed, shown separately);
- when each page's answer began (its response headers): until then the page waits in the server's start
  queue and the browser shows only that it is loading;
- memory of the page kernels (the server's child processes) once all pages are up: RSS and private memory
  (USS, what a kernel costs the machine beyond shared libraries) per kernel, mean and max, and their sum;
- the server's CPU seconds spent in the burst (server plus kernels);
- pages per GB = 1024 / mean USS (MB), the figure behind the README's sizing table.

The tabs are then closed (each kernel ends by its unload beacon) and the server stops. Timings depend on
the machine and its load: say which machine and how loaded when quoting them.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assessment.demo.street import generate_demo
from assessment.rubric import load_rubric
from assessment.store import Store
from tests.browser.conftest import CHROMIUM_ARGS, chromium_executable, start_voila, stop_voila

YEAR = 2025
NOTEBOOK = "self_assess.ipynb"
USABLE = "当前状态："
BUSY = "服务器繁忙"
MARK_USABLE = """(() => {
    const timer = setInterval(() => {
        if (document.body && document.body.innerText.includes("USABLE")) {
            window.sipingUsableAt = Date.now();
            clearInterval(timer);
        }
    }, 100);
})();""".replace("USABLE", USABLE)


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def seed(directory: Path, pages: int) -> tuple[str, list[str]]:
    """A database with a demo street of ``pages`` branches (at least 20) and an access code for each of
    the first ``pages``: (database URL, codes)."""
    url = f"sqlite:///{directory / 'burst.sqlite'}"
    rubric = load_rubric()
    demo = generate_demo(rubric, year=YEAR, n_branches=max(20, pages))
    with Store(url, rubric=rubric) as store:
        store.records.import_inputs(demo, year=YEAR, evaluator="基准测试", rubric_version=rubric.version, source="基准")
        branches = list(demo.branches["branch_id"][:pages])
        codes = [store.access.issue(branch, YEAR, by="基准测试").code for branch in branches]
    return url, codes


def private_mb(process: psutil.Process) -> tuple[float, float]:
    """(RSS, USS) of a process in MB."""
    info = process.memory_full_info()
    return info.rss / 2**20, info.uss / 2**20


def cpu_seconds(process: psutil.Process) -> float:
    """CPU seconds of the process and its children, living and waited for."""
    total = 0.0
    for one in [process, *process.children(recursive=True)]:
        try:
            times = one.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def burst(browser, pages: int, timeout: float, extra: list[str]) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-burst-"))
    try:
        database, codes = seed(work, pages)
        served = work / "pages"
        served.mkdir()
        shutil.copy(REPO / "notebooks" / NOTEBOOK, served / NOTEBOOK)
        os.environ["ASSESSMENT_DATABASE_URL"] = database  # the kernels read it from the server's environment
        server = start_voila(served, f"bench-burst-{pages}.log", [f"--SipingVoila.max_kernels={pages + 5}", *extra])
        try:
            return run_burst(browser, server, codes, timeout)
        finally:
            stop_voila(server)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_burst(browser, server, codes: list[str], timeout: float) -> dict:
    voila = psutil.Process(server.process.pid)
    contexts = [browser.new_context(locale="zh-CN") for _ in codes]
    for context in contexts:  # each page notes when it became usable (waiting on pages one by one would not)
        context.add_init_script(MARK_USABLE)
    tabs = [context.new_page() for context in contexts]
    try:
        first_byte: list[float] = []  # when each page's answer began: the wait in the start queue
        for tab in tabs:
            tab.on(
                "response",
                lambda answer: (
                    first_byte.append(time.monotonic() - started) if "/voila/render/" in answer.url else None
                ),
            )
        cpu_before = cpu_seconds(voila)
        started = time.monotonic()
        started_wall = time.time()
        for tab, code in zip(tabs, codes, strict=True):  # every request leaves before any page is answered
            tab.evaluate("address => { window.location.href = address; }", f"{server.render_url(NOTEBOOK)}?code={code}")
        usable: list[float] = []
        failed = busy = 0
        for tab in tabs:
            remaining = max(1.0, timeout - (time.monotonic() - started))
            try:
                tab.get_by_text(USABLE).first.wait_for(state="visible", timeout=remaining * 1000)
                tab.wait_for_function("() => window.sipingUsableAt !== undefined", timeout=10_000)
                usable.append(tab.evaluate("() => window.sipingUsableAt") / 1000 - started_wall)
            except Exception:  # noqa: BLE001 - a page that did not come up is a failure to count
                failed += 1
                with contextlib.suppress(Exception):  # a page that shows nothing at all is no busy page
                    busy += BUSY in tab.inner_text("body", timeout=2000)
        cpu = cpu_seconds(voila) - cpu_before
        kernels = [private_mb(child) for child in voila.children(recursive=True)]
        server_rss, server_uss = private_mb(voila)
        for tab in tabs:
            tab.close(run_before_unload=True)
    finally:
        for context in contexts:
            context.close()
    return {
        "pages": len(codes),
        "usable": usable,
        "first_byte": first_byte,
        "failed": failed,
        "busy": busy,
        "kernels": kernels,
        "server": (server_rss, server_uss),
        "cpu": cpu,
    }


def report(result: dict) -> None:
    usable, kernels = result["usable"], result["kernels"]
    print(f"\n== {result['pages']} 个页面同时打开 ==")
    if usable:
        print(
            f"可用时间（秒）：最快 {min(usable):.1f}  p50 {nearest_rank(usable, 0.5):.1f}  "
            f"p95 {nearest_rank(usable, 0.95):.1f}  最慢 {max(usable):.1f}"
        )
    if result["first_byte"]:
        waits = result["first_byte"]
        print(
            f"开始收到页面（此前浏览器只显示在加载，页面在排队）：p50 {nearest_rank(waits, 0.5):.1f}  "
            f"p95 {nearest_rank(waits, 0.95):.1f}  最慢 {max(waits):.1f} 秒"
        )
    print(f"失败：{result['failed']}（其中“服务器繁忙” {result['busy']}）")
    if kernels:
        rss = [r for r, _ in kernels]
        uss = [u for _, u in kernels]
        mean_uss = sum(uss) / len(uss)
        print(
            f"内核 {len(kernels)} 个：RSS 平均 {sum(rss) / len(rss):.0f} MB（最大 {max(rss):.0f}），"
            f"私有内存 USS 平均 {mean_uss:.0f} MB（最大 {max(uss):.0f}），合计 USS {sum(uss) / 1024:.2f} GB"
        )
        print(f"每 GB 内存约可开 {1024 / mean_uss:.1f} 个页面（按平均 USS，不含服务器进程）")
    print(f"服务器进程：RSS {result['server'][0]:.0f} MB，USS {result['server'][1]:.0f} MB")
    print(f"服务器与内核 CPU：{result['cpu']:.1f} 秒（每页 {result['cpu'] / result['pages']:.2f} 秒）")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[10, 20, 50], help="burst sizes (default 10 20 50)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds a page may take (default 600)")
    parser.add_argument("--max-starting", type=int, help="SipingVoila.max_starting (default: the server's)")
    args = parser.parse_args()
    extra = [] if args.max_starting is None else [f"--SipingVoila.max_starting={args.max_starting}"]
    print(
        f"机器：{os.cpu_count()} 核，负载 {' '.join(f'{x:.1f}' for x in os.getloadavg())}，内存 "
        f"{psutil.virtual_memory().total / 2**30:.0f} GB"
    )

    from playwright.sync_api import sync_playwright

    failures = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_ARGS, headless=True)
        try:
            for pages in args.pages:
                result = burst(browser, pages, args.timeout, extra)
                report(result)
                failures += result["failed"]
        finally:
            browser.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

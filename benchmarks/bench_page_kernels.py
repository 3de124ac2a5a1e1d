#!/usr/bin/env python
"""What one page open costs the server: each page's kernel memory at first render and the CPU seconds of
the open, against a trivial notebook's kernel (the floor). Prints figures; it is not a test.

    .venv/bin/python benchmarks/bench_page_kernels.py                         # every page, 5 opens each
    .venv/bin/python benchmarks/bench_page_kernels.py --pages self_assess trivial --runs 7

One Voila (``python -m assessment.serve``, the package's voila.json) serves copies of the four pages and of
two floor notebooks from a temporary directory, its kernels pointed (ASSESSMENT_DATABASE_URL) at a fresh
SQLite database seeded with the demo street, an evaluator's account and an access code:

- ``trivial``: benchmarks/floor/trivial.ipynb, one label widget: a stock kernel with ipywidgets;
- ``floor``: benchmarks/floor/floor.ipynb (pandas + matplotlib, one slider, one chart);
- ``self_assess`` (opened by its link with the access code: the branch's page, charts and all),
  ``evaluate``, ``weights``, ``overview`` (signed in as the evaluator, the sign-in not timed).

The pages are opened one at a time, in turn (round 0 is a warm-up, then ``--runs`` rounds), each in a fresh
browser context. For every open: the page is usable when its first widgets show (self_assess: "当前状态："; the
evaluate page: its branch picker enabled; the others: the page's widgets); then, once the new kernel has been
idle for a second (its CPU time no longer grows), its RSS and private memory (USS: what the kernel costs the
machine beyond shared pages) and the CPU seconds of the open: the kernel's own from its start, plus the
server process's during the open. The tab is then closed (its unload ends the kernel). Reported: medians per
page and the ratios to ``trivial`` measured in the same run. The machine's load is printed: say how loaded
it was when quoting the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_evaluate_page import PICKER_READY, seed, signed_in_context

from assessment.store import Store
from tests.browser.conftest import CHROMIUM_ARGS, chromium_executable, start_voila, stop_voila

YEAR = 2025
FLOORS = {"trivial": "trivial.ipynb", "floor": "floor.ipynb"}
PAGES = ["trivial", "floor", "self_assess", "evaluate", "weights", "overview"]
SHOWN = """(selector) => {
    const element = document.querySelector(selector);
    return element !== null && element.offsetParent !== null;
}"""
TEXT_SHOWN = """(text) => document.body !== null && document.body.innerText.includes(text)"""
USS_TARGET = 100.0  # MB, the branch (self_assess) page
CPU_TARGET = 1.2  # s per open, the branch page


def kernels(server: psutil.Process) -> dict[int, psutil.Process]:
    return {child.pid: child for child in server.children(recursive=True)}


def cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def settled(kernel: psutil.Process, quiet: float = 1.0, poll: float = 0.2, limit: float = 60.0) -> None:
    """Wait until ``kernel`` has used (almost) no CPU for ``quiet`` seconds."""
    deadline = time.monotonic() + limit
    last, quiet_since = cpu(kernel), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(poll)
        now = cpu(kernel)
        if now - last > 0.01:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet:
            return
        last = now


def open_once(browser, server, voila: psutil.Process, page: str, code: str) -> dict[str, float]:
    if page in FLOORS:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        url = server.render_url(FLOORS[page])
    else:
        context = signed_in_context(browser, server.url) if page != "self_assess" else None
        if context is None:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        url = server.render_url(f"{page}.ipynb") + (f"?code={code}" if page == "self_assess" else "")
    tab = context.new_page()
    try:
        before = set(kernels(voila))
        server_cpu = cpu(voila)
        started = time.monotonic()
        tab.goto(url, wait_until="commit", timeout=120_000)
        if page == "self_assess":
            tab.wait_for_function(TEXT_SHOWN, arg="当前状态：", timeout=120_000, polling=20)
        elif page == "evaluate":
            tab.wait_for_function(PICKER_READY, timeout=120_000, polling=20)
        elif page == "trivial":
            tab.wait_for_function(SHOWN, arg=".widget-label", timeout=120_000, polling=20)
        elif page == "floor":
            tab.wait_for_function(SHOWN, arg=".widget-slider", timeout=120_000, polling=20)
        else:
            tab.wait_for_function(SHOWN, arg=".siping-app", timeout=120_000, polling=20)
        usable = time.monotonic() - started
        new = [process for pid, process in kernels(voila).items() if pid not in before]
        if len(new) != 1:
            raise RuntimeError(f"{page}: expected one new kernel, found {len(new)}")
        kernel = new[0]
        settled(kernel)
        memory = kernel.memory_full_info()
        found = {
            "usable": usable,
            "rss": memory.rss / 2**20,
            "uss": memory.uss / 2**20,
            "kernel_cpu": cpu(kernel),
            "server_cpu": cpu(voila) - server_cpu,
        }
        found["cpu"] = found["kernel_cpu"] + found["server_cpu"]
    finally:
        tab.close(run_before_unload=True)
        context.close()
    try:  # the closed tab's unload ends its kernel; the next open starts with the machine as it was
        kernel.wait(timeout=20)
    except (psutil.TimeoutExpired, NameError, psutil.NoSuchProcess):
        pass
    return found


def run(pages: list[str], runs: int) -> dict[str, list[dict[str, float]]]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-kernels-") as tmp:
        directory = Path(tmp)
        database = seed(directory)
        with Store(database) as store:
            code = store.access.issue("JD002", YEAR, by="基准").code
        served = directory / "pages"
        served.mkdir()
        for page in pages:
            if page in FLOORS:
                shutil.copy(REPO / "benchmarks" / "floor" / FLOORS[page], served / FLOORS[page])
            else:
                shutil.copy(REPO / "notebooks" / f"{page}.ipynb", served / f"{page}.ipynb")
        os.environ["ASSESSMENT_DATABASE_URL"] = database
        extra = [f"--SipingVoila.extra_pages={FLOORS[page]}" for page in pages if page in FLOORS]
        server = start_voila(served, "bench-page-kernels.log", extra)
        results: dict[str, list[dict[str, float]]] = {page: [] for page in pages}
        try:
            voila = psutil.Process(server.process.pid)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium_executable(), args=CHROMIUM_ARGS, headless=True
                )
                try:
                    for round_no in range(runs + 1):  # round 0 is the warm-up
                        for page in pages:
                            found = open_once(browser, server, voila, page, code)
                            if round_no:
                                results[page].append(found)
                        print(f"  第 {round_no} 轮完成（负载 {os.getloadavg()[0]:.1f}）", flush=True)
                finally:
                    browser.close()
        finally:
            stop_voila(server)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=PAGES)
    parser.add_argument("--runs", type=int, default=5, help="measured opens per page (after one warm-up)")
    args = parser.parse_args()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"机器：{os.cpu_count()} 核，内存 {psutil.virtual_memory().total / 2**30:.0f} GB，开始时负载 {load}")
    results = run(args.pages, args.runs)
    print(f"结束时负载 {' '.join(f'{x:.1f}' for x in os.getloadavg())}")

    def median(page: str, key: str) -> float:
        return statistics.median(found[key] for found in results[page])

    floor = "trivial" if "trivial" in results else None
    print()
    print("每个页面打开一次：内核首次显示后的内存与本次打开的 CPU 秒数（中位数；比值对同一次运行中的 trivial）")
    print(
        f"{'页面':<13}{'可用':>8}{'RSS':>9}{'USS':>9}{'USS 比':>8}{'内核 CPU':>10}{'服务器 CPU':>11}"
        f"{'合计 CPU':>10}{'CPU 比':>8}"
    )
    for page in results:
        uss, total = median(page, "uss"), median(page, "cpu")
        uss_ratio = f"{uss / median(floor, 'uss'):.2f}" if floor else "—"
        cpu_ratio = f"{total / median(floor, 'cpu'):.2f}" if floor else "—"
        flags = ""
        if page == "self_assess":
            flags = ("" if uss <= USS_TARGET else " USS✗") + ("" if total <= CPU_TARGET else " CPU✗")
        print(
            f"{page:<13}{median(page, 'usable'):>6.2f} s{median(page, 'rss'):>6.0f} MB{uss:>6.0f} MB{uss_ratio:>8}"
            f"{median(page, 'kernel_cpu'):>8.2f} s{median(page, 'server_cpu'):>9.2f} s{total:>8.2f} s{cpu_ratio:>8}"
            f"{flags}"
        )
    print()
    for page, found in results.items():
        uss = ", ".join(f"{one['uss']:.0f}" for one in found)
        total = ", ".join(f"{one['cpu']:.2f}" for one in found)
        print(f"[{page}] USS {uss} MB；CPU {total} s")
    print(f"目标（支部自评页 self_assess）：USS ≤ {USS_TARGET:.0f} MB，每次打开 CPU ≤ {CPU_TARGET} 秒")
    return 0


if __name__ == "__main__":
    sys.exit(main())

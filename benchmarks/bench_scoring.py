#!/usr/bin/env python
"""Scoring benchmark: time and peak memory per stage, and how time scales with the branch count.

    .venv/bin/python benchmarks/bench_scoring.py                      # 100,000 branches, 20 rows each
    .venv/bin/python benchmarks/bench_scoring.py --branches 20000 --repeat 3

Stages: 生成 (``assessment.demo.street.synthetic_inputs``), 评分 (``assessment.scoring.score``),
结果表 (``assessment.outputs.tables.result_tables``). Each stage runs in a fresh subprocess that first
builds what the stage needs (not timed), then runs the stage ``--repeat`` times; the median is
reported. Memory is the process's resident set (not tracemalloc, which misses most numpy/pandas
buffers): the peak RSS is reset after setup (Linux ``/proc/self/clear_refs``) and read back as
``VmHWM``; where that is unavailable, ``ru_maxrss`` is used and the growth is an upper bound.
Scaling: the same stages at ``--branches / 10``; the ratio t(N) / t(N/10) should be ≤ 12.

Targets: at 100,000 branches / 2,000,000 activity rows 评分 ≤ 2 s and ≤ 1.5 GB peak, 10× the branches
≤ 12× the time; at 1,000,000 branches / 20,000,000 rows (a province) ≤ 15 s and ≤ 3 GB, 10× ≤ 11×.
The CPU column (process time) is what to quote on a shared machine: wall time there includes waiting
for the other jobs. ``--check`` makes the exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STAGES = ("generate", "score", "tables")
STAGE_LABELS = {"generate": "生成数据", "score": "评分", "tables": "结果表"}
# Targets by scale (branches, activity rows per branch 20): (seconds, peak bytes, ratio t(N)/t(N/10)).
# 100,000: a district or city; 1,000,000: a province (issue 15).
TARGETS = {100_000: (2.0, 1.5 * 1024**3, 12.0), 1_000_000: (15.0, 3 * 1024**3, 11.0)}
YEAR = 2025


# ------------------------------------------------------------------ memory
def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _maxrss_kb() -> int:
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value // 1024 if sys.platform == "darwin" else value  # bytes on macOS, KB on Linux


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) for this process; False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return _status_kb("VmHWM") is not None
    except OSError:
        return False


# ------------------------------------------------------------------ worker
def _missing_stage(stage: str) -> str | None:
    """A clear message if the code a stage needs does not exist yet."""
    try:
        from assessment.scoring import score  # noqa: F401
    except ImportError as exc:
        if stage != "generate":
            return f"评分模块尚不可用（from assessment.scoring import score 失败：{exc}）"
    if stage == "tables":
        try:
            from assessment.outputs.tables import result_tables  # noqa: F401
        except ImportError as exc:
            return f"结果表模块尚不可用（from assessment.outputs.tables import result_tables 失败：{exc}）"
    return None


def worker(stage: str, branches: int, rows_per_branch: int, repeat: int, seed: int) -> dict:
    sys.path.insert(0, str(REPO))
    problem = _missing_stage(stage)
    if problem:
        return {"error": problem}
    from assessment.demo.synthetic import synthetic_inputs
    from assessment.rubric import load_rubric

    rubric = load_rubric()
    rows = branches * rows_per_branch

    def generate():
        return synthetic_inputs(rubric, n_branches=branches, n_activity_rows=rows, seed=seed, year=YEAR)

    if stage == "generate":
        run = generate
    else:
        from assessment.scoring import score

        inputs = generate()
        if stage == "score":

            def run():
                return score(rubric, inputs, year=YEAR)
        else:
            from assessment.outputs.tables import result_tables

            results = score(rubric, inputs, year=YEAR)

            def run():
                return result_tables(results, rubric)

    gc.collect()
    baseline_kb = _status_kb("VmRSS") or _maxrss_kb()
    exact = _reset_peak()
    if not exact:
        baseline_kb = _maxrss_kb()  # growth of the lifetime peak: an upper bound
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        output = run()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        del output
        gc.collect()
    peak_kb = (_status_kb("VmHWM") if exact else None) or _maxrss_kb()
    return {
        "stage": stage,
        "branches": branches,
        "rows": rows,
        "times": times,
        "median": statistics.median(times),
        "cpu": statistics.median(cpu),
        "baseline_kb": baseline_kb,
        "peak_kb": peak_kb,
        "growth_kb": max(0, peak_kb - baseline_kb),
        "exact_memory": exact,
    }


# -------------------------------------------------------------------- main
def run_stage(stage: str, branches: int, args) -> dict:
    command = [
        sys.executable, __file__, "--worker", stage,
        "--branches", str(branches), "--rows-per-branch", str(args.rows_per_branch),
        "--repeat", str(args.repeat), "--seed", str(args.seed),
    ]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, check=False)
    if done.returncode != 0:
        return {"error": f"子进程失败（退出码 {done.returncode}）：\n{done.stderr.strip()[-3000:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _mb(kb: int) -> str:
    return f"{kb / 1024:,.0f}"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(text: str, width: int, left: bool = False) -> str:
    pad = " " * max(0, width - _width(text))
    return text + pad if left else pad + text


COLUMNS = (("阶段", 10), ("支部数", 11), ("活动记录", 12), ("中位数 s", 10), ("最快 s", 9), ("CPU s", 9),
           ("次数", 6), ("内存增长 MB", 13), ("进程峰值 MB", 13))  # fmt: skip


def print_table(rows: list[dict]) -> None:
    print("".join(_cell(name, w, left=(i == 0)) for i, (name, w) in enumerate(COLUMNS)))
    print("-" * sum(w for _, w in COLUMNS))
    for r in rows:
        cells = (
            STAGE_LABELS[r["stage"]], f"{r['branches']:,}", f"{r['rows']:,}", f"{r['median']:.3f}",
            f"{min(r['times']):.3f}", f"{r['cpu']:.3f}", str(len(r["times"])), _mb(r["growth_kb"]),
            _mb(r["peak_kb"]),
        )  # fmt: skip
        note = "" if r["exact_memory"] else " *"
        print("".join(_cell(c, w, left=(i == 0)) for i, (c, (_, w)) in enumerate(zip(cells, COLUMNS))) + note)
    if any(not r["exact_memory"] for r in rows):
        print("* 无法重置峰值（/proc/self/clear_refs）：内存增长按 ru_maxrss 计，为上限。")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--branches", type=int, default=100_000, help="支部数 N（默认 100000）")
    parser.add_argument("--rows-per-branch", type=int, default=20, help="每个支部的活动记录条数（默认 20）")
    parser.add_argument("--repeat", type=int, default=5, help="每个阶段重复次数，取中位数（默认 5）")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-scaling", action="store_true", help="不测 N/10 的规模比")
    parser.add_argument("--check", action="store_true", help="未达到目标时退出码为 1")
    parser.add_argument("--stages", default=",".join(STAGES), help="只测这些阶段，逗号分隔（generate,score,tables）")
    parser.add_argument("--worker", choices=STAGES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.branches < 10 or args.repeat < 1 or args.rows_per_branch < 0:
        parser.error("--branches ≥ 10, --repeat ≥ 1, --rows-per-branch ≥ 0")

    if args.worker:
        print(json.dumps(worker(args.worker, args.branches, args.rows_per_branch, args.repeat, args.seed)))
        return 0

    n, small = args.branches, max(1, args.branches // 10)
    print(f"四评评分基准：N = {n:,} 个支部，每支部 {args.rows_per_branch} 条活动记录，每阶段 {args.repeat} 次取中位数")
    print(f"Python {sys.version.split()[0]}，{os.cpu_count()} CPU\n")
    results: dict[tuple[str, int], dict] = {}
    errors: list[str] = []
    sizes = [n] if args.no_scaling else [n, small]
    stages = [stage for stage in STAGES if stage in args.stages.split(",")]
    if "score" not in stages:
        parser.error("--stages 须包含 score")
    for stage in stages:
        for size in sizes:
            outcome = run_stage(stage, size, args)
            if "error" in outcome:
                errors.append(f"{STAGE_LABELS[stage]}（N={size:,}）：{outcome['error']}")
                break
            results[(stage, size)] = outcome
        if errors:
            break

    print_table([results[k] for k in sorted(results, key=lambda k: (STAGES.index(k[0]), -k[1]))])
    if errors:
        print("\n无法完成基准测试：")
        for error in errors:
            print("  " + error)
        return 1

    if not args.no_scaling:
        goal = f"，目标 ≤ {TARGETS[n][2]:g}" if n in TARGETS else ""
        print(f"\n规模比（N={n:,} 与 N/10={small:,} 的中位数耗时之比{goal}）")
        for stage in stages:
            big, little = results[(stage, n)]["median"], results[(stage, small)]["median"]
            ratio = big / little if little > 0 else float("inf")
            cpu = results[(stage, n)]["cpu"] / max(results[(stage, small)]["cpu"], 1e-9)
            print(
                f"  {_cell(STAGE_LABELS[stage], 10, left=True)}{little:>9.3f} s → {big:>8.3f} s   "
                f"比值 {ratio:6.2f}（CPU 比值 {cpu:.2f}）"
            )

    scoring = results[("score", n)]
    if n not in TARGETS or args.rows_per_branch != 20:
        print("\n本次规模没有设定目标（目标按 100,000 或 1,000,000 个支部、每支部 20 条记录设定）。")
        return 0
    seconds, peak, most = TARGETS[n]
    checks = [
        (
            f"评分耗时 ≤ {seconds:g} s",
            scoring["median"] <= seconds,
            f"{scoring['median']:.3f} s（CPU {scoring['cpu']:.3f} s）",
        ),
        (
            f"评分进程内存峰值 ≤ {peak / 1024**3:g} GB",
            scoring["peak_kb"] * 1024 <= peak,
            f"{scoring['peak_kb'] / 1024**2:.2f} GB（其中评分增长 {scoring['growth_kb'] / 1024**2:.2f} GB）",
        ),
    ]
    if not args.no_scaling:
        ratio = scoring["median"] / results[("score", small)]["median"]
        checks.append((f"10 倍支部耗时 ≤ {most:g} 倍", ratio <= most, f"{ratio:.2f} 倍"))
    scale_note = ""
    print(f"\n目标{scale_note}")
    for label, ok, observed in checks:
        print(f"  {'✓' if ok else '✗'} {label}：{observed}")
    return 1 if args.check and not all(ok for _, ok, _ in checks) else 0


if __name__ == "__main__":
    sys.exit(main())

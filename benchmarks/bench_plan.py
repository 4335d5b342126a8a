"""Benchmark the plan: build time, solve time per stage, peak memory.

    python benchmarks/bench_plan.py --months 60 240 960 [--gap 1e-3] [--time-limit 600]
    python benchmarks/bench_plan.py --cli FILE   # whole `bastion plan` process, median of 5
    --strategy mip|lp-first picks run_lexicographic's strategy (default: its own); "/lp" after a
    stage means the LP bound was met by fixed build decisions (no MIP search needed).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate import generate

from bastion.online import line_online_months
from bastion.plan.build import build_model
from bastion.plan.index import build_index
from bastion.plan.lexico import run_lexicographic
from bastion.scenario import load_text


def bench_months(months: int, gap: float, time_limit: float | None, solve: bool,
                 strategy: str | None = None) -> None:
    import resource

    import yaml

    sc = load_text(yaml.safe_dump(generate(months, 1), sort_keys=False))
    tracemalloc.start()
    t0 = time.perf_counter()
    ix = build_index(sc, line_online_months(sc))
    model = build_model(ix)
    model.matrix()
    build = time.perf_counter() - t0
    _, peak_build = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    line = (f"months={months} cols={model.n_col} rows={model.n_row} build={build:.2f}s "
            f"build_peak_py={peak_build / 2**20:.0f}MiB")
    if solve:
        kw = {"strategy": strategy} if strategy else {}
        cpu0 = time.process_time()
        run = run_lexicographic(model, ix.levels, time_limit=time_limit, gap=gap, **kw)
        cpu = time.process_time() - cpu0
        stages = " ".join(f"{n}={o.seconds:.1f}s/{o.status.value}/gap={o.gap or 0:.1e}"
                          f"{'/lp' if o.message.startswith('optimal (LP') else ''}"
                          for n, o in run.stages)
        line += (f" solve={run.seconds:.1f}s (cpu {cpu:.1f}s) status={run.status.value}"
                 f" [{stages}]")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(line + f" peak_rss={rss:.0f}MiB", flush=True)


def bench_cli(file: str, repeat: int = 5) -> None:
    code = ("import typer,sys\nfrom bastion.cli import plan_cmd\napp=typer.Typer()\n"
            "@app.callback()\ndef r() -> None: pass\nplan_cmd.register(app)\napp()")
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, "plan", file, "--json"],
                       stdout=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    print(f"cli {file}: median {statistics.median(times):.2f}s of {repeat} "
          f"({', '.join(f'{t:.2f}' for t in times)})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--months", type=int, nargs="*", default=[240])
    ap.add_argument("--gap", type=float, default=1e-3)
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--cli", default=None)
    ap.add_argument("--strategy", default=None, help="lexicographic strategy: lp-first or mip")
    args = ap.parse_args()
    if args.cli:
        bench_cli(args.cli)
        return
    for m in args.months:
        bench_months(m, args.gap, args.time_limit, not args.build_only, args.strategy)


if __name__ == "__main__":
    main()

"""Time the resilience analysis: the reference scenario, and the large generated one.

    python benchmarks/bench_resilience.py                      # reference, median of 3
    python benchmarks/bench_resilience.py --large --months 240 --window 24 --gap 1e-3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bastion.resilience import resilience
from bastion.scenario import load_scenario, load_text

REFERENCE = Path(__file__).resolve().parents[1] / "src/bastion/scenario/examples/baltic-atm-plant.yaml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--large", action="store_true")
    ap.add_argument("--months", type=int, default=240)
    ap.add_argument("--window", type=int, default=None)
    ap.add_argument("--gap", type=float, default=1e-4)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if args.large:
        import yaml
        from generate import generate  # type: ignore[import-not-found]

        scenario = load_text(yaml.safe_dump(generate(args.months, 1), sort_keys=False))
        repeat = 1
    else:
        scenario = load_scenario(REFERENCE)
        repeat = args.repeat
    times, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        r = resilience(scenario, window=args.window, gap=args.gap)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    exposed = sum(1 for n in r.nodes if n.exposed)
    print(f"nodes {len(r.nodes)}, exposed {exposed}, solves {r.solves}, M {r.reference_month}, "
          f"to {r.window_end}")
    print(f"seconds (last run): {r.seconds}")
    print(f"total: median {statistics.median(times):.2f} s, min {min(times):.2f}, "
          f"max {max(times):.2f} over {repeat}")
    print(f"cpu (this process, all threads): median {statistics.median(cpu):.2f} s, "
          f"min {min(cpu):.2f}, max {max(cpu):.2f}")


if __name__ == "__main__":
    main()

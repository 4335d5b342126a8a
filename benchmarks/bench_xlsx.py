"""Time reading a scenario workbook of the reference's size (`bastion xlsx import`'s work).

Usage: python benchmarks/bench_xlsx.py [--repeat 7]
Prints the workbook's size, and the best and median seconds of `read_scenario`
(open, read every sheet in read-only mode, build the document, validate) and of
`build_workbook` (export).
"""

from __future__ import annotations

import argparse
import statistics
import time
from importlib import resources

from bastion.scenario import load_text
from bastion.xlsxio import build_workbook, read_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    text = (resources.files("bastion.scenario.examples") / "baltic-atm-plant.yaml").read_text("utf-8")
    scenario = load_text(text)
    writes, reads = [], []
    data = b""
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        data = build_workbook(scenario)
        writes.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        again, _ = read_scenario(data, "reference.xlsx")
        reads.append(time.perf_counter() - t0)
        assert again == scenario
    print(f"workbook: {len(data):,} bytes, 17 sheets")
    print(f"read (import): best {min(reads):.3f} s, median {statistics.median(reads):.3f} s of {args.repeat}")
    print(f"build (export): best {min(writes):.3f} s, median {statistics.median(writes):.3f} s of {args.repeat}")


if __name__ == "__main__":
    main()

"""The suite passes on a bare clone: no test reads outside the repository, and CI proves it."""

from __future__ import annotations

import csv
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = re.compile(r"""\.\./shared|["']\.\.["']\s*/\s*["']shared["']|parents\[\d+\]\s*/\s*["']\.\.["']""")


def test_no_test_reads_beside_the_repository() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if path.name != Path(__file__).name
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == [], f"tests reading outside the repository: {offenders}"


def test_the_psplib_sample_is_in_the_repository_with_its_optima() -> None:
    data = ROOT / "tests" / "data" / "psplib"
    with (data / "optimum" / "j30.csv").open() as fh:
        optima = {row["problem"]: int(row["optimum"]) for row in csv.DictReader(fh)}
    instances = sorted(p.name for p in (data / "j30").glob("*.sm"))
    assert instances and sorted(optima) == instances
    assert optima["j301_1.sm"] == 43


def test_ci_runs_the_suite_from_a_copy_with_nothing_beside_it() -> None:
    script = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "mktemp -d" in script and "git archive" in script
    lines = [ln.strip() for ln in script.splitlines() if "make" in ln and not ln.strip().startswith("#")]
    assert lines == ['make -C "$scratch/bastion" test'], lines  # once, from the copy only
    assert "apt-get install" in script

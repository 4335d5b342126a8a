"""Compile the simulator's step while the plan solves.

The compiled step (numba) compiles once per installation or upgrade (about 20 s of one core),
then loads from numba's cache. On that first run it used to add its 20 s after the plan; here
it compiles in a second process during the plan instead, on a tiny built-in scenario (its
argument types are those of every scenario's), and writes numba's cache, from which the real
run then loads it. A process, not a thread: numba's first compiles in two threads of one
process can race in its typing registry ("Unknown attribute 'shape'", seen here when the
plan's programme schedule compiled at the same time). Nothing here changes a number: it only
moves the compile earlier. Skipped when numba's cache already holds the step (the usual case).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from pathlib import Path
from typing import Any

from bastion.simulate.compiled import AUTO_MIN_PATH_MONTHS

TINY = {
    "bastion": 1,
    "name": "warm-up (internal)",
    "horizon": {"start": "2027-01", "months": 6},
    "items": {"unit": {"made": True, "bom": {"part": 1}}, "part": {"made": False}},
    "suppliers": {"s": {"country": "LV", "supplies": {"part": {"price": 1, "lead_time_months": 1,
                                                              "capacity_per_month": 100}},
                        "disruption": {"rate_per_year": 1, "recovery_months": [1, 2, 3]}}},
    "sites": {"p": {"country": "LV", "lines": {"l": {"makes": ["unit"], "capacity_per_month": 50,
                                                     "outage": {"rate_per_year": 1,
                                                                "recovery_months": [1, 2, 3]}}}}},
    "customers": {"c": {"country": "LV", "targets": [{"item": "unit", "by": "2027-06", "units": 100}]}},
}


def compile_step() -> None:
    """Compile (or load from numba's cache) the compiled step and its event pass, on TINY."""
    from bastion.plan import solve_plan
    from bastion.scenario.model import Scenario
    from bastion.simulate.engine import simulate

    scenario = Scenario.model_validate(TINY)
    plan = solve_plan(scenario, explain=False, sensitivity=False)
    simulate(scenario, plan, paths=1, backend="compiled", workers=1)


def cached() -> bool:
    """Whether numba's cache folder ($NUMBA_CACHE_DIR, else the package's __pycache__) already
    has an index for both compiled functions (stale or not: then the real run compiles, as
    before)."""
    folder = os.environ.get("NUMBA_CACHE_DIR")
    roots = [Path(folder)] if folder else [Path(__file__).resolve().parent / "__pycache__"]
    for pattern in ("compiled_step.run_tiles-*.nbi", "compiled_events.drawn_hundredths-*.nbi"):
        if not any(next(root.rglob(pattern), None) is not None for root in roots if root.is_dir()):
            return False
    return True


def wants_compiled(backend: str, paths: int, months: int) -> bool:
    """Whether a simulation of `paths` over `months` will likely run the compiled step (the
    `auto` rule of `compiled.choose_backend`, before the plan is known) and numba imports."""
    if backend not in ("auto", "compiled"):
        return False
    if backend == "auto" and paths * months < AUTO_MIN_PATH_MONTHS:
        return False
    from bastion.simulate.compiled import numba_available

    return numba_available()


def _work() -> None:
    """The child: silent (its output would be the parent's); a failure is left to the real run
    to meet and report with its own message."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    with contextlib.suppress(Exception):
        compile_step()


def start(backend: str, paths: int, months: int) -> Any:
    """Start compiling the step in a child process when the simulation will likely need it and
    numba's cache does not hold it yet; the process (join it before simulating), or None. Where
    a process cannot start one (a daemonic worker, no resources), None: the run compiles then."""
    if not wants_compiled(backend, paths, months) or cached():
        return None
    try:
        process = multiprocessing.get_context("spawn").Process(target=_work, name="bastion-compile",
                                                               daemon=True)
        process.start()
    except Exception:  # e.g. AssertionError "daemonic processes are not allowed to have children"
        return None
    return process


def finish(process: Any) -> None:
    """Wait for the compiling process (None: nothing to wait for)."""
    if process is not None:
        process.join()

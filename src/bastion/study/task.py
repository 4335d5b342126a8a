"""One variant as one task: plan, then simulate the plan's policy; pure (no files, no terminal).

`run_variant` runs in a Dask worker process (or anywhere): it loads the variant's
JSON text, solves the plan (explain and sensitivity re-solves off, as `bastion
simulate` does) or, with a confidence level, the confidence plan
(`plan_at_confidence` with the variant's seed, S futures, validated on the study's
paths), and simulates it single-process (workers=1: no pool inside a worker) with
the variant's own seed. Every outcome is a dict: an exception inside the task is
caught and reported as status "failed", so one bad variant never stops a study.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

#: Futures the confidence plan plans against by default (as `bastion plan --futures`).
DEFAULT_FUTURES = 200

PLAN_KEYS = ("status", "gap", "objective", "first_output", "cost", "targets", "short")
SIMULATE_KEYS = ("paths", "seed", "backend", "first_output", "targets", "expected_cost",
                 "expected_unmet_consumption")


@dataclass(frozen=True)
class VariantTask:
    """What a worker needs to run one variant (small and picklable)."""

    id: str
    text: str
    seed: int
    paths: int
    confidence: float | None = None
    futures: int = DEFAULT_FUTURES
    """S, the sampled futures the confidence plan plans against (with a confidence only)."""


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def run_variant(task: VariantTask) -> dict[str, Any]:
    """Plan and simulate one variant: {"status", "message", "plan", "simulate", "timings", ...}.

    status: "ok", "short" (some target or consumption short in the plan, or, with a
    confidence, some target that does not reach it), "infeasible" (no plan exists) or
    "failed" (an error, in "message"). With a confidence, "confidence_plan" is the
    `confidence` object of `bastion plan --confidence --json` (its seconds in "timings").
    "plan_full" and "simulate_full" hold the engines' whole JSON objects (for the store).
    """
    t0, c0 = time.perf_counter(), time.process_time()
    out: dict[str, Any] = {"id": task.id, "status": "failed", "message": None, "plan": None,
                           "simulate": None, "plan_full": None, "simulate_full": None}
    if task.confidence is not None:
        out["confidence_plan"] = None
    timings: dict[str, Any] = {"worker": _worker_name()}
    out["timings"] = timings
    try:
        from bastion.plan import solve_plan
        from bastion.scenario.load import load_text
        from bastion.simulate import simulate

        scenario = load_text(task.text, f"variant {task.id}", is_json=True)
        short: bool
        if task.confidence is None:
            plan = solve_plan(scenario, explain=False, sensitivity=False)
            plan_json = plan.to_json()
            short = plan.short
        else:
            from bastion.plan.confidence import plan_at_confidence

            conf = plan_at_confidence(scenario, task.confidence, futures=task.futures, seed=task.seed,
                                      paths=task.paths, workers=1, backend="auto")
            plan, plan_json, short = conf.plan, conf.to_json(), conf.short
            part = conf.confidence_json()
            timings["confidence"] = part.pop("seconds")
            out["confidence_plan"] = part
        t1 = time.perf_counter()
        timings["plan"] = round(t1 - t0, 4)
        out["plan_full"] = plan_json
        out["plan"] = {k: plan_json.get(k) for k in PLAN_KEYS}
        if not plan.status.has_solution:
            out["status"] = "infeasible"
            out["message"] = plan_json.get("message") or "no plan exists"
            return out
        sim = simulate(scenario, plan, paths=task.paths, seed=task.seed, workers=1, backend="auto")
        timings["simulate"] = round(time.perf_counter() - t1, 4)
        sim_json = sim.to_json()
        out["simulate_full"] = sim_json
        out["simulate"] = {k: sim_json.get(k) for k in SIMULATE_KEYS}
        out["status"] = "short" if short else "ok"
    except Exception as error:  # one variant's failure is reported, the study goes on
        out["status"] = "failed"
        out["message"] = f"{type(error).__name__}: {error}"
    finally:
        timings["total"] = round(time.perf_counter() - t0, 4)
        timings["cpu"] = round(time.process_time() - c0, 4)  # the process's CPU seconds meanwhile
        timings["peak_rss_mib"] = _peak_rss_mib()
    return out


def _peak_rss_mib() -> float | None:
    """The worker process's peak resident memory so far (MiB; None where unknown)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return None
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return round(kib / 1024, 1)

"""One run: every engine on one scenario, composed; pure (no printing, no files).

`execute` validates the scenario, then runs the stages in order (schedule,
plan, simulate, resilience, economics), timing each, and returns a `Run`
holding the inputs' hash, the seed, the package versions and every result.
The CLI stores it and writes the report; this module knows neither.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bastion.scenario.load import dump_scenario, load_bytes
from bastion.scenario.model import Scenario

if TYPE_CHECKING:
    from bastion.plan.optimise import Step

STAGES = ("schedule", "plan", "simulate", "resilience", "economics")


class HasJson(Protocol):
    """Every engine result can give its JSON object."""

    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True, eq=False)
class Run:
    """A finished run: inputs, versions, timings and each engine's result."""

    scenario: Scenario
    scenario_file: str
    scenario_text: str
    scenario_hash: str
    seed: int
    paths: int
    versions: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)
    results: dict[str, HasJson] = field(default_factory=dict)
    max_bytes: int | None = None
    """Memory limit of the simulation's chunks in flight (`bastion.guard.fit_chunk`); None: none."""
    confidence: float | None = None  # plan at this confidence (targets' own win); None: as given
    futures: int = 200  # sampled futures of the confidence plan
    backend: str = "auto"
    """Simulator backend of the simulate stage and of the confidence plan's validation
    (`bastion.simulate.simulate`'s: auto picks the compiled step for large runs when numba is
    there, else numpy; the numbers are the same bit for bit either way)."""

    @property
    def short(self) -> bool:
        """True when the plan leaves a target or consumption short, or a target misses its
        confidence (exit status 3)."""
        plan = self.results.get("plan")
        conf = self.results.get("confidence")
        return bool(getattr(plan, "short", False)) or bool(getattr(conf, "short", False))

    @property
    def status(self) -> str:
        """ "short" when a target or consumption is short in the plan, else "ok"."""
        return "short" if self.short else "ok"

    def to_json(self) -> dict[str, Any]:
        """Each stage's JSON object under its name, with the run's inputs."""
        out: dict[str, Any] = {
            "scenario": self.scenario.name,
            "scenario_file": self.scenario_file,
            "scenario_hash": self.scenario_hash,
            "classification": self.scenario.marking(),
            "seed": self.seed,
            "paths": self.paths,
            "versions": self.versions,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "status": self.status,
        }
        for name, result in self.results.items():
            out[name] = result.to_json()
        return out


Progress = Callable[[str, str], None]
"""Called with (stage, "start" | "done") around each stage, and (stage, text) as a long
stage's steps start (the plan's solve stages, the simulation's paths, resilience's nodes)."""


def execute(
    file: str | Path,
    *,
    paths: int = 10_000,
    seed: int = 0,
    stages: tuple[str, ...] = STAGES,
    progress: Progress | None = None,
    max_bytes: int | None = None,
    confidence: float | None = None,
    futures: int = 200,
    backend: str = "auto",
) -> Run:
    """Load `file` and run `stages` on it; raise ScenarioError for an invalid file.

    confidence (or a target's own `confidence`): the plan stage plans at that
    confidence (docs/method-confidence.md); the run then carries `confidence`
    (per target P(met) of the deterministic and of the confidence plan) and
    the later stages use the confidence plan.

    `max_bytes` limits the simulation's memory (it runs fewer paths at a time to fit, or
    raises `bastion.guard.TooLarge` before drawing anything). `backend`: the simulator's
    (`Run.backend`; auto as `bastion simulate`'s default).
    """
    from bastion.store.record import package_versions, scenario_hash
    from bastion.xlsxio import is_workbook_name

    if is_workbook_name(str(file)):  # a workbook: the run keeps the scenario as YAML text
        from bastion.xlsxio import load_workbook_scenario  # openpyxl: only for a workbook

        scenario = load_workbook_scenario(file)[0]
        text = dump_scenario(scenario)
    else:
        data = Path(file).read_bytes()
        scenario = load_bytes(data, str(file), is_json=str(file).lower().endswith(".json"))
        text = data.decode("utf-8")
    run = Run(
        scenario=scenario,
        scenario_file=str(file),
        scenario_text=text,
        scenario_hash=scenario_hash(text),
        seed=seed,
        paths=paths,
        versions=package_versions(),
        max_bytes=max_bytes,
        confidence=confidence,
        futures=futures,
        backend=backend,
    )
    from bastion.simulate import warm

    # the simulator's step compiles (first run only) in another process while the plan solves
    compiler = warm.start(backend, paths, scenario.horizon.months) if "simulate" in stages else None
    for stage in stages:
        if stage == "simulate":
            warm.finish(compiler)
        if progress is not None:
            progress(stage, "start")
        t0 = time.perf_counter()
        step = partial(progress, stage) if progress is not None else None
        result = _STAGE_FUNCTIONS[stage](run, step)
        run.timings[stage] = time.perf_counter() - t0
        if result is not None:
            run.results[stage] = result
        if progress is not None:
            progress(stage, "done")
    return run


def _schedule(run: Run, step: Step | None) -> HasJson | None:
    if run.scenario.programme is None or not run.scenario.programme.tasks:
        return None
    from bastion.programme.analysis import analyse_schedule

    return analyse_schedule(run.scenario, paths=run.paths, seed=run.seed)


def _plan(run: Run, step: Step | None) -> HasJson:
    from bastion.plan import solve_plan
    from bastion.plan.confidence import wants_confidence
    from bastion.plan.solve import SolverError

    plan = solve_plan(run.scenario, progress=step)
    if not plan.status.has_solution:  # solver trouble, not a short plan: stop before the other stages
        raise SolverError(plan.message or plan.status.value)
    if not wants_confidence(run.scenario, run.confidence):
        return plan
    from bastion.plan.confidence import plan_at_confidence

    conf = plan_at_confidence(run.scenario, run.confidence, futures=run.futures, seed=run.seed,
                              paths=run.paths, deterministic=plan, progress=step, backend=run.backend)
    run.results["confidence"] = conf.part()
    return conf.plan


def _simulate(run: Run, step: Step | None) -> HasJson | None:
    from bastion.simulate import simulate

    tell = step
    paths_done = None if tell is None else (lambda done, total: tell(f"{done:,} of {total:,} paths"))
    return simulate(run.scenario, _plan_of(run), paths=run.paths, seed=run.seed, progress=paths_done,
                    max_bytes=run.max_bytes, backend=run.backend)


def _resilience(run: Run, step: Step | None) -> HasJson | None:
    from bastion.resilience import resilience

    # Not the plan stage's plan: the state at M is the one the resilience engine's own rule
    # chooses among cost-optimal plans (docs/method-resilience.md), so that `run` gives the
    # same figures as `bastion resilience` whichever optimal plan the plan stage returned.
    _plan_of(run)
    return resilience(run.scenario, progress=step)


def _economics(run: Run, step: Step | None) -> HasJson | None:
    from bastion.economics import economics

    sim = run.results.get("simulate")
    per_path = getattr(sim, "per_path", None)
    if per_path is None:
        return economics(run.scenario, _plan_of(run), jcl_note="no simulation in this run")
    return economics(run.scenario, _plan_of(run), sim_costs=per_path.cost, sim_months=per_path.met_month)


def _plan_of(run: Run) -> Any:
    plan = run.results.get("plan")
    if plan is None:
        raise RuntimeError("the plan stage must run before this stage")
    return plan


_STAGE_FUNCTIONS: dict[str, Callable[[Run, Step | None], HasJson | None]] = {
    "schedule": _schedule,
    "plan": _plan,
    "simulate": _simulate,
    "resilience": _resilience,
    "economics": _economics,
}


def headline(run: Run) -> dict[str, Any]:
    """The few numbers a minister asks for, from the run's results (for the store and the terminal)."""
    data = run.to_json()
    out: dict[str, Any] = {"status": run.status}
    # One number per question: the simulation's first output when the run has one (the schedule
    # stage drew the same programme durations from the same seed), else the schedule's risk.
    first, source = (data.get("simulate") or {}).get("first_output"), "simulate"
    if not first:
        first, source = ((data.get("schedule") or {}).get("risk") or {}).get("first_output"), "schedule"
    if first:
        out["first_output_p50"] = first.get("p50")
        out["p_first_output_within_24_months"] = first.get("p_within_24_months")
        out["first_output_from"] = source
    plan = data.get("plan") or {}
    out["plan_first_output"] = plan.get("first_output")
    sim_targets = {
        (t["customer"], t["item"], t["by"]): t for t in (data.get("simulate") or {}).get("targets", [])
    }
    out["targets"] = [
        {
            "customer": t["customer"],
            "item": t["item"],
            "by": t["by"],
            "units": t["units"],
            "planned_units": t.get("planned_units"),
            "met_in_plan": t.get("met"),
            "probability": sim_targets.get((t["customer"], t["item"], t["by"]), {}).get("probability"),
        }
        for t in plan.get("targets", [])
    ]
    conf = data.get("confidence")
    if conf:
        out["price_of_confidence"] = conf["price"]["text"]
        out["confidence_targets"] = [
            {k: t[k] for k in ("customer", "item", "by", "requested", "deterministic_probability",
                               "reached")}
            | {"probability": (t.get("validated") or {}).get("probability"),
               "binds": t.get("binds")}
            for t in conf["targets"]
        ]
    cost = plan.get("cost") or {}
    econ = data.get("economics") or {}
    out["plan_cost"] = cost.get("total")
    out["capex"] = cost.get("capex")
    out["total_cost"] = econ.get("total_cost", cost.get("total"))
    jcl = econ.get("jcl") or {}
    out["jcl_p70_month"] = jcl.get("p70_month")
    out["jcl_p70_cost"] = jcl.get("p70_cost")
    out["jcl_paths"] = jcl.get("paths")
    out["jcl_by_target"] = [
        {k: t[k] for k in ("customer", "item", "by", "p70_month", "p70_cost")}
        for t in econ.get("jcl_by_target", [])
    ]
    nodes = (data.get("resilience") or {}).get("nodes") or []
    if nodes:
        exposed = [n for n in nodes if n.get("exposed")]
        out["nodes"] = len(nodes)
        out["exposed_nodes"] = len(exposed)
        if exposed:  # "most exposed" only among the nodes whose TTS < TTR
            worst = max(exposed, key=lambda n: n.get("risk_exposure_index") or 0.0)
            out["worst_node"] = worst["node"]
            out["worst_node_kind"] = worst.get("kind")
            out["worst_node_tts_months"] = worst.get("tts_months")
            out["worst_node_ttr_months"] = worst.get("ttr_months")
    return out


def tables(run: Run) -> dict[str, list[dict[str, Any]]]:
    """The run's tidy tables by name (the plan's tables, and the engines' own)."""
    out: dict[str, list[dict[str, Any]]] = {}
    plan = run.results.get("plan")
    plan_tables = getattr(plan, "tables", None)
    if plan_tables is not None:
        for table in plan_tables.all():
            out[table.name] = table.records()
    return out

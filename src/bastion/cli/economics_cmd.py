"""`bastion economics FILE [--json] [--paths N] [--seed S] [--discount-rate R]`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bastion.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    PATHS_MAX,
    SEED_HELP,
    SEED_MAX,
    console,
    fail,
    load_or_exit,
    marking,
    markup_escape,
    print_json,
    require_plan,
    solver_trouble,
    solving,
)
from bastion.cli.limits import guard_or_exit, limit_or_exit, max_memory_option, refusals

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from bastion.economics import EconomicsResult, EconomicsSettings
    from bastion.plan import PlanResult
    from bastion.scenario.model import Scenario

    SimArrays = tuple[npt.NDArray[np.float64], npt.NDArray[np.int16]]


def simulated_paths(
    scenario: Scenario, plan: PlanResult, paths: int, seed: int, max_bytes: int | None = None
) -> SimArrays | str:
    """Per-path total cost and target months from the simulator, or why there are none."""
    if plan.tables is None:
        return "no plan, so no policy to simulate: JCL not computed"
    from bastion.simulate import simulate

    per_path = simulate(scenario, plan, paths=paths, seed=seed, max_bytes=max_bytes, backend="auto").per_path
    return per_path.cost, per_path.met_month


def _settings(scenario: Scenario, discount_rate: float | None) -> EconomicsSettings:
    from pydantic import ValidationError

    from bastion.economics import EconomicsSettings

    found = getattr(scenario, "economics", None)
    base = found if isinstance(found, EconomicsSettings) else EconomicsSettings()
    if discount_rate is None:
        return base
    try:
        return EconomicsSettings(**{**base.model_dump(exclude_none=True), "discount_rate": discount_rate})
    except ValidationError as error:
        fail(f"--discount-rate {discount_rate}: {error.errors()[0]['msg']}", EXIT_INVALID)


def _money(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f}"


def _k(v: float) -> str:
    return f"{v / 1000:,.0f}"


def _summary(result: EconomicsResult, name: str, seed: int) -> None:
    from rich.table import Table

    out = console()
    mark, cur = result.classification, markup_escape(result.currency)
    out.print(marking(mark))
    out.print(f"[bold]Economics[/bold] {name} (plan {result.plan_status}, money in {cur})")
    units = Table(
        "line",
        "year",
        "units",
        "average unit cost",
        "cumulative average",
        "last unit",
        title="Variable unit cost down the learning curve",
    )
    for u in result.unit_cost:
        units.add_row(
            markup_escape(u.line),
            str(u.year),
            f"{u.units:,.0f}",
            f"{u.average_unit_cost:,.2f}",
            f"{u.cumulative_average:,.2f}",
            f"{u.last_unit_cost:,.2f}",
        )
    out.print(units)
    discounted = result.settings.discount_rate > 0
    cash = Table(
        "year",
        "capex",
        "fixed",
        "variable",
        "purchases",
        "holding",
        "total",
        *(("discounted",) if discounted else ()),
        "opt. capex",
        "budget",
        title=f"Cash by year (thousand {cur}; budget: ceiling on optional lines' capex)",
    )
    for y in result.cash_by_year:
        budget = _k(y.capex_budget) if y.capex_budget is not None else "none"
        if y.over_budget:
            budget = f"[red]{budget} OVER[/red]"
        cash.add_row(
            str(y.year),
            *(_k(v) for v in (y.capex, y.fixed, y.variable, y.purchases, y.holding, y.total)),
            *((_k(y.discounted),) if discounted else ()),
            _k(y.capex_optional),
            budget,
        )
    out.print(cash)
    if result.total_cost is not None:
        out.print(
            f"Total cost (learning-adjusted): {_money(result.total_cost)} {cur}; discounted at "
            f"{result.settings.discount_rate:.2%} to {result.base_year}: "
            f"{_money(result.total_cost_discounted)} {cur}; at first-unit cost (the plan): "
            f"{_money(result.first_unit_cost_total)} {cur}"
        )
    if result.cost_per_delivered_unit:
        per = Table(
            "customer",
            "item",
            "units",
            "variable",
            "purchases",
            "fixed",
            "capex",
            "per unit",
            title=f"Cost per delivered unit (full absorption; pools in thousand {cur})",
        )
        for d in result.cost_per_delivered_unit:
            per.add_row(
                markup_escape(d.customer),
                markup_escape(d.item),
                f"{d.units:,.0f}",
                _k(d.variable),
                _k(d.purchases),
                _k(d.fixed),
                _k(d.capex),
                f"{d.per_unit:,.2f}",
            )
        out.print(per)
    j = result.jcl_p70
    if j is not None:
        out.print(
            f"[bold]70% JCL[/bold] ({j.paths:,} simulated paths, seed {seed}; {j.reached_share:.1%} reach the goal): "
            + (
                f"by {result.month(j.month)} at {_money(j.cost)} {cur} "
                f"(joint probability {j.probability:.1%}; marginal P70: "
                f"{result.month(j.marginal_month) or 'never'}, {_money(j.marginal_cost)} {cur})"
                if j.month is not None
                else "not reached"
            )
            + " (goal: every target reached)"
        )
    for customer, item, by, jt in result.jcl_by_target:
        when = (
            f"by {result.month(jt.month)} at {_money(jt.cost)} {cur}"
            if jt.month is not None
            else f"not reached ({jt.reached_share:.1%} of paths reach it in the horizon)"
        )
        out.print(f"  70% JCL, {markup_escape(customer)} {markup_escape(item)} target of {by}: {when}")
    for note in result.notes:
        out.print(f"- {markup_escape(note)}")
    out.print(marking(mark))


def economics_command(
    file: Path = typer.Argument(..., help="Scenario file (YAML, JSON or .xlsx)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    paths: int = typer.Option(
        10_000, "--paths", min=1, max=PATHS_MAX, help="Simulated paths for the JCL (as `simulate` and `run`)."
    ),
    seed: int = typer.Option(0, "--seed", min=0, max=SEED_MAX, help=SEED_HELP),
    discount_rate: float | None = typer.Option(
        None, "--discount-rate", help="Yearly discount rate, e.g. 0.035 (default: the scenario's, or 0)."
    ),
    max_memory: str = max_memory_option(),
) -> None:
    """Unit cost, cash by year against budget, and the 70% JCL.

    Learning-curve unit cost, cash by calendar year, and joint cost-schedule confidence.
    """
    limit = limit_or_exit(max_memory)
    scenario = load_or_exit(file)
    settings = _settings(scenario, discount_rate)
    from bastion.cli.simulate_cmd import numba_cache_dir

    numba_cache_dir()  # the simulator's `auto` backend may load the compiled step
    from bastion.guard import plan_estimate, simulate_estimate

    guard_or_exit(file, limit, plan_estimate(scenario, "economics (its plan)"), simulate_estimate(scenario, paths))
    from bastion.economics import economics
    from bastion.plan import solve_plan
    from bastion.plan.solve import SolverError

    try:
        with solving(console(stderr=True), "Planning") as step:
            plan = solve_plan(scenario, progress=step)
    except SolverError as error:
        solver_trouble(file, str(error))
    except MemoryError:
        solver_trouble(file, "the plan model is too large for this machine's memory")
    require_plan(file, plan)
    with refusals(file):
        sim = simulated_paths(scenario, plan, paths, seed, limit)
    if isinstance(sim, str):
        result = economics(scenario, plan, settings=settings, jcl_note=sim)
    else:
        result = economics(scenario, plan, sim_costs=sim[0], sim_months=sim[1], settings=settings)
    if as_json:
        data = result.to_json()
        if isinstance(data.get("jcl"), dict):
            data["jcl"]["seed"] = seed  # the sample: jcl.paths paths drawn from this seed
        print_json(data)
    else:
        _summary(result, markup_escape(scenario.name), seed)
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add the `economics` command to the app."""
    app.command("economics")(economics_command)

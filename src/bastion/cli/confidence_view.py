"""`bastion plan FILE --confidence P`: the confidence plan, its JSON and its summary."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from bastion.cli.common import (
    EXIT_OK,
    EXIT_SHORT,
    console,
    json_text,
    marking,
    markup_escape,
    print_json,
    solving,
    write_outputs,
)

if TYPE_CHECKING:
    from bastion.plan import PlanResult
    from bastion.plan.confidence import ConfidencePlan
    from bastion.scenario.model import Scenario


def confidence_plan(scenario: Scenario, deterministic: PlanResult, confidence: float | None, *,
                    futures: int, gap: float, time_limit: float | None) -> ConfidencePlan:
    """The confidence plan, with the CLI's progress display; validated with the simulator's
    `auto` backend (`bastion simulate`'s default)."""
    from bastion.cli.simulate_cmd import numba_cache_dir
    from bastion.plan.confidence import plan_at_confidence

    numba_cache_dir()

    with solving(console(stderr=True), "Planning at a confidence") as progress:
        return plan_at_confidence(scenario, confidence, futures=futures, gap=gap,
                                  time_limit=time_limit, deterministic=deterministic,
                                  progress=progress, backend="auto")


def summary(conf: ConfidencePlan, name: str) -> None:
    """The per-target table and the price of confidence, on the terminal."""
    from rich.table import Table

    out = console()
    out.print(marking(conf.plan.classification))
    out.print(f"[bold]Plan at a confidence[/bold] {name}: {conf.plan.status.value}, "
              f"{conf.futures} futures, {conf.rounds} round(s)")
    lines = Table("line", "site", "built", "online", title="Lines (first stage)")
    for ln in conf.plan.lines:
        lines.add_row(ln.line, ln.site, "yes" if ln.built else "no", ln.online or "-")
    out.print(lines)
    tab = Table("customer", "item", "by", "units", "requested", "in sample", "validated",
                "deterministic", "reached", title="Targets: P(met)")
    for t in conf.targets:
        v = t.validated
        tab.add_row(t.customer, t.item, t.by, f"{t.units:,.0f}",
                    "-" if t.requested is None else f"{t.requested:.0%}",
                    "-" if t.in_sample is None else f"{t.in_sample:.1%}",
                    "-" if v is None else f"{v.probability:.1%} ± {v.stderr:.1%}",
                    "-" if t.deterministic_probability is None
                    else f"{t.deterministic_probability:.1%}",
                    "yes" if t.reached else "[red]no[/red]")
    out.print(tab)
    out.print(f"[bold]Price of confidence[/bold] {markup_escape(conf.price.text)}")
    for t in conf.targets:
        if not t.reached and t.validated is not None:
            out.print(f"[red]{t.customer} {t.item} by {t.by}: {t.requested:.0%} not reached; "
                      f"best reached {t.validated.probability:.1%}[/red]"
                      + (f"; {markup_escape(t.binds)}" if t.binds else ""))
    out.print(marking(conf.plan.classification))


def plan_confidence(scenario: Scenario, deterministic: PlanResult, confidence: float | None, *,
                    futures: int, gap: float, time_limit: float | None, as_json: bool,
                    out: Path | None) -> NoReturn:
    """Plan at the confidence, print it, write it under `out`, and exit (3 when short)."""
    conf = confidence_plan(scenario, deterministic, confidence, futures=futures, gap=gap,
                           time_limit=time_limit)
    if out is not None:
        tables = conf.plan.tables.all() if conf.plan.tables is not None else ()
        write_outputs(out, {**{f"{t.name}.csv": t.to_csv() for t in tables},
                            "plan.json": json_text(conf.to_json())})
    if as_json:
        print_json(conf.to_json())
    else:
        summary(conf, markup_escape(scenario.name))
    raise typer.Exit(EXIT_SHORT if conf.short else EXIT_OK)

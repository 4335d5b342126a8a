"""Terminal views for `bastion run` and `bastion runs`: stage progress, headline, lists, comparisons."""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from bastion.cli.common import marking
from bastion.run import STAGES

if TYPE_CHECKING:
    from bastion.run import Run
    from bastion.store import RunRecord, RunSummary

STAGE_TEXT = {
    "schedule": "programme schedule and its risk",
    "plan": "production and stockpile plan (MILP)",
    "simulate": "Monte-Carlo simulation",
    "resilience": "time to survive / time to recover",
    "economics": "learning-curve cost, cash by year, JCL",
}


class StageProgress:
    """A rich progress display with one line per stage (on stderr)."""

    def __init__(self, out: Console, enabled: bool = True) -> None:
        self.enabled = enabled
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=out,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.started: dict[str, float] = {}

    def __enter__(self) -> StageProgress:
        if self.enabled:
            self.progress.start()
            for stage in STAGES:
                self.tasks[stage] = self.progress.add_task(f"{stage}: {STAGE_TEXT[stage]}", total=1, start=False)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        if self.enabled:
            self.progress.stop()

    def update(self, stage: str, event: str) -> None:
        """Called by the run with (stage, "start" | "done"), and (stage, step text) in between."""
        if not self.enabled or stage not in self.tasks:
            return
        task = self.tasks[stage]
        if event not in ("start", "done"):
            self.progress.update(task, description=f"{stage}: {escape(event)}")
            return
        if event == "start":
            self.started[stage] = time.perf_counter()
            self.progress.start_task(task)
        else:
            seconds = time.perf_counter() - self.started.get(stage, time.perf_counter())
            self.progress.update(
                task,
                completed=1,
                description=f"[green]✓[/green] {stage}: {STAGE_TEXT[stage]} ({seconds:.1f} s)",
            )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _money(value: float | None, currency: str) -> str:
    return "n/a" if value is None else f"{value / 1e6:,.1f}M {currency}"


def render_headline(run: Run, head: dict[str, Any], run_id: str, report: Path, out: Console) -> None:
    """The headline of a run: first output, each target, cost, JCL, the report's path."""
    currency = run.scenario.currency
    out.print(marking(run.scenario.classification))
    out.print(f"[bold]{escape(run.scenario.name)}[/bold]: run {run_id} ({run.paths:,} paths, seed {run.seed})")
    if head.get("first_output_p50"):
        out.print(
            f"First output: P50 {head['first_output_p50']}; P(within 24 months) "
            f"{_pct(head.get('p_first_output_within_24_months'))}; plan {head.get('plan_first_output')}"
        )
    table = Table(title="Targets", title_justify="left")
    for col in ("customer", "item", "by", "units", "planned", "met in plan", "P(met)"):
        table.add_column(col)
    for t in head.get("targets", []):
        planned = t.get("planned_units")
        table.add_row(
            t["customer"],
            t["item"],
            t["by"],
            f"{t['units']:,.0f}",
            "n/a" if planned is None else f"{planned:,.0f}",
            "yes" if t.get("met_in_plan") else "[red]no[/red]",
            _pct(t.get("probability")),
        )
    out.print(table)
    if head.get("confidence_targets"):
        conf = Table(title="Confidence: P(met) of the deterministic and of the confidence plan",
                     title_justify="left")
        for col in ("customer", "item", "by", "requested", "deterministic", "at confidence"):
            conf.add_column(col)
        for t in head["confidence_targets"]:
            req = t.get("requested")
            conf.add_row(t["customer"], t["item"], t["by"], "-" if req is None else f"{req:.0%}",
                         _pct(t.get("deterministic_probability")),
                         _pct(t.get("probability")) + ("" if t.get("reached") else " [red](short)[/red]"))
        out.print(conf)
        out.print(f"Price of confidence: {escape(str(head.get('price_of_confidence')))}")
    for explanation in getattr(run.results.get("plan"), "explanations", ())[:5]:
        out.print(f"[red]Short:[/red] {escape(explanation.text)}")
    out.print(
        f"Cost: total {_money(head.get('total_cost'), currency)} (learning-adjusted), capex "
        f"{_money(head.get('capex'), currency)}"
    )
    if head.get("jcl_p70_month"):
        out.print(
            f"70% joint confidence (every target reached): by {head['jcl_p70_month']} at "
            f"{_money(head.get('jcl_p70_cost'), currency)}"
        )
    else:
        out.print("70% joint confidence (every target reached): not reached in 70% of the futures")
    for t in head.get("jcl_by_target", []):
        name = f"{t['customer']} {t['item']} by {t['by']}"
        if t["p70_month"]:
            out.print(f"  70% JCL {name}: reached by {t['p70_month']} at {_money(t['p70_cost'], currency)}")
        else:
            out.print(f"  70% JCL {name}: not reached within the horizon in 70% of the futures")
    if head.get("worst_node"):
        out.print(f"Most exposed node: {head['worst_node']} ({head.get('exposed_nodes', 0)} nodes with TTS < TTR)")
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in run.timings.items())
    out.print(f"Stages: {timings}")
    out.print(f"Report: [bold]{report}[/bold] (and report.xlsx beside it)")
    out.print(marking(run.scenario.classification))


def render_list(rows: list[RunSummary], out: Console) -> None:
    """A table of stored runs."""
    table = Table(title="Stored runs (newest first)", title_justify="left")
    table.add_column("run", no_wrap=True)
    table.add_column("created (UTC)", no_wrap=True)
    for col in ("scenario", "hash", "status", "first output P50", "total cost"):
        table.add_column(col)
    for row in rows:
        head = row.headline
        cost = head.get("total_cost")
        table.add_row(
            row.run_id,
            row.created_at.strftime("%Y-%m-%d %H:%M"),
            escape(row.scenario_name),
            row.hash_prefix[:8],
            row.status,
            str(head.get("first_output_p50") or ""),
            "" if cost is None else f"{cost:,.0f}",
        )
    out.print(table)


def render_record(record: RunRecord, out: Console) -> None:
    """One stored run: inputs and headline."""
    out.print(f"[bold]run {record.run_id}[/bold] at {record.created_at.isoformat()}")
    out.print(f"scenario {escape(record.scenario_name)} ({escape(record.scenario_file)})")
    out.print(f"sha256 {record.scenario_hash}")
    out.print(f"seed {record.seed}, {record.paths:,} paths, status {record.status}")
    out.print("versions: " + ", ".join(f"{k} {v}" for k, v in record.versions.items()))
    out.print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in record.timings.items()))
    table = Table(title="Headline", title_justify="left")
    table.add_column("what")
    table.add_column("value")
    from bastion.store.compare import flatten

    for key, value in flatten(record.headline).items():
        table.add_row(escape(key), escape(str(value)))
    out.print(table)


def render_compare(diff: dict[str, Any], out: Console) -> None:
    """What changed between two runs, and the effect."""
    a, b = diff["a"], diff["b"]
    out.print(f"[bold]{a['run_id']}[/bold] → [bold]{b['run_id']}[/bold]")
    scenario = diff["scenario"]
    if scenario["changed"]:
        out.print(f"Scenario: {scenario['added']} line(s) added, {scenario['removed']} removed")
        for change in scenario["changes"]:
            out.print(f"  {escape(_change_text(change))}")
    else:
        out.print("Scenario: unchanged")
    for name, setting in diff["settings"].items():
        if setting["changed"]:
            out.print(f"{name}: {setting['a']} → {setting['b']}")
    table = Table(title="Effect on the headline", title_justify="left")
    for col in ("what", "before", "after", "change"):
        table.add_column(col)
    for entry in diff["headline"]:
        if not entry["changed"]:
            continue
        change = ""
        if entry.get("delta") is not None:
            change = f"{entry['delta']:+,.4g}"
        elif entry.get("delta_months") is not None:
            change = f"{entry['delta_months']:+d} months"
        table.add_row(escape(entry["key"]), escape(str(entry["a"])), escape(str(entry["b"])), change)
    out.print(table if table.row_count else "Headline: no change")


def _change_text(change: dict[str, Any]) -> str:
    before = "(none)" if change["a"] is None else change["a"].strip()
    after = "(none)" if change["b"] is None else change["b"].strip()
    return f"{change['where']}: {before} → {after}"

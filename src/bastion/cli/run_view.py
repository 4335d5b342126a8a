"""Terminal views for `bastion run` and `bastion runs`: stage progress, headline, lists, comparisons."""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from bastion.cli.common import marking
from bastion.report.content import HEADLINE_NOTE
from bastion.report.names import Names, names
from bastion.run import STAGES
from bastion.textsafe import terminal

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
            self.progress.update(task, description=f"{stage}: {terminal(event)}")
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


def money_text(value: float | None, currency: str) -> str:
    """Money at its size, as every output writes it (`bastion.report.fmt.money`)."""
    from bastion.report.fmt import money

    return money(value, currency)


def _names(run: Run) -> Names:
    """The scenario's names (the plan's catalogue); codes where the run has no plan."""
    catalogue = getattr(run.results.get("plan"), "catalogue", None)
    return names({"plan": {"catalogue": catalogue}}) if isinstance(catalogue, dict) else Names()


def render_headline(run: Run, head: dict[str, Any], run_id: str, report: Path, out: Console) -> None:
    """The headline of a run: first output, each target, cost, JCL, the report's path."""
    currency = terminal(run.scenario.currency)
    out.print(marking(run.scenario.marking()))
    out.print(f"[bold]{terminal(run.scenario.name)}[/bold]: run {run_id} ({run.paths:,} paths, seed {run.seed})")
    if head.get("first_output_p50"):
        sample = "simulation" if head.get("first_output_from") != "schedule" else "schedule risk"
        out.print(
            f"First output: P50 {head['first_output_p50']}; P(within 24 months) "
            f"{_pct(head.get('p_first_output_within_24_months'))} ({sample}, {run.paths:,} paths, seed "
            f"{run.seed}); plan {head.get('plan_first_output')}"
        )
    nm = _names(run)
    table = Table(title="Targets", title_justify="left")
    for col in ("customer", "item", "by", "units", "planned", "met in plan", "P(met)"):
        table.add_column(col, no_wrap=col not in ("customer", "item"), overflow="fold")
    unlikely = False
    for t in head.get("targets", []):
        planned = t.get("planned_units")
        p = t.get("probability")
        unlikely |= bool(t.get("met_in_plan")) and p is not None and p < 0.5
        table.add_row(
            terminal(nm.name("customers", t["customer"])),
            terminal(nm.name("items", t["item"])),
            t["by"],
            f"{t['units']:,.0f}",
            "n/a" if planned is None else f"{planned:,.0f}",
            "yes" if t.get("met_in_plan") else "[red]no[/red]",
            _pct(p),
        )
    out.print(table)
    if unlikely:  # "met in plan: yes" beside a low P(met) reads as a contradiction without this
        out.print(HEADLINE_NOTE)
    if head.get("confidence_targets"):
        conf = Table(title="Confidence: P(met) of the deterministic and of the confidence plan",
                     title_justify="left")
        for col in ("customer", "item", "by", "requested", "deterministic", "at confidence"):
            conf.add_column(col)
        for t in head["confidence_targets"]:
            req = t.get("requested")
            conf.add_row(terminal(t["customer"]), terminal(t["item"]), t["by"],
                         "-" if req is None else f"{req:.0%}",
                         _pct(t.get("deterministic_probability")),
                         _pct(t.get("probability")) + ("" if t.get("reached") else " [red](short)[/red]"))
        out.print(conf)
        out.print(f"Price of confidence: {terminal(head.get('price_of_confidence'))}")
        for t in head["confidence_targets"]:
            if not t.get("reached") and t.get("binds"):
                out.print(f"[red]Short of {t['requested']:.0%}:[/red] {terminal(t['customer'])} "
                          f"{terminal(t['item'])} by {t['by']}: {terminal(t['binds'])}")
    for explanation in getattr(run.results.get("plan"), "explanations", ())[:5]:
        out.print(f"[red]Short:[/red] {terminal(explanation.text)}")
    out.print(
        f"Cost: total {money_text(head.get('total_cost'), currency)} (learning-adjusted), capex "
        f"{money_text(head.get('capex'), currency)}"
    )
    sample = f"{head['jcl_paths']:,} simulated paths, seed {run.seed}" if head.get("jcl_paths") else ""
    if head.get("jcl_p70_month"):
        out.print(
            f"70% joint confidence (every target reached; {sample}): by {head['jcl_p70_month']} at "
            f"{money_text(head.get('jcl_p70_cost'), currency)}"
        )
    else:
        out.print("70% joint confidence (every target reached): fewer than 70% of the futures reach every "
                  "target within the horizon")
    for t in head.get("jcl_by_target", []):
        name = (f"{terminal(nm.name('customers', t['customer']))}, {terminal(nm.name('items', t['item']))} "
                f"by {t['by']}")
        if t["p70_month"]:
            out.print(f"  {name}: 70% of the futures reach it by {t['p70_month']}, at "
                      f"{money_text(t['p70_cost'], currency)}")
        else:
            out.print(f"  {name}: fewer than 70% of the futures reach it within the horizon")
    if head.get("worst_node"):
        tts = head.get("worst_node_tts_months")
        out.print(
            f"Most exposed node: {terminal(nm.node(head['worst_node']))} ({head.get('worst_node_kind') or 'node'}; "
            f"survives {'n/a' if tts is None else f'{tts:g}'} months, needs "
            f"{head.get('worst_node_ttr_months', 0):g} to recover); {head['exposed_nodes']} of "
            f"{head.get('nodes', 0)} nodes lose supply if they fail (time to survive shorter than time to recover)"
        )
    elif head.get("nodes"):
        out.print(f"Resilience: no node exposed (time to survive >= time to recover for all {head['nodes']} nodes)")
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in run.timings.items())
    out.print(f"Stages: {timings}")
    out.print(f"Report: [bold]{terminal(report)}[/bold] (report.xlsx, the CSV tables and run.json beside it)")
    out.print(marking(run.scenario.marking()))


def render_list(rows: list[RunSummary], out: Console) -> None:
    """A table of stored runs (fits the terminal; no number is cut: `bastion.cli.fit`)."""
    from bastion.cli.fit import Col, fit_table
    from bastion.report.fmt import money

    cols = [Col("run", "number"), Col("created (UTC)", "number", drop=3), Col("scenario"),
            Col("hash", "id", drop=4), Col("status", "id", drop=1), Col("first output P50", "number", drop=2),
            Col("total cost", "number", justify="right")]
    cells = []
    for row in rows:
        head = row.headline
        cost = head.get("total_cost")
        cells.append([row.run_id, row.created_at.strftime("%Y-%m-%d %H:%M"), row.scenario_name,
                      row.hash_prefix[:8], row.status, str(head.get("first_output_p50") or ""),
                      "" if cost is None else money(cost)])
    out.print(fit_table("Stored runs (newest first)", cols, cells, out.width))


def render_record(record: RunRecord, out: Console) -> None:
    """One stored run: inputs and headline, labelled, with units."""
    from bastion.cli.headline_view import describe, value_text
    from bastion.report.fmt import currency
    from bastion.store.compare import flatten

    cur = currency(record.results)
    out.print(f"[bold]run {terminal(record.run_id)}[/bold] at {record.created_at.isoformat()}")
    out.print(f"scenario {terminal(record.scenario_name)} ({terminal(record.scenario_file)})")
    out.print(f"sha256 {record.scenario_hash}")
    out.print(f"seed {record.seed}, {record.paths:,} paths, status {terminal(record.status)}")
    out.print("versions: " + ", ".join(f"{terminal(k)} {terminal(v)}" for k, v in record.versions.items()))
    out.print("timings: " + ", ".join(f"{terminal(k)} {v:.1f} s" for k, v in record.timings.items()))
    table = Table(title="Headline", title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    for key, value in flatten(record.headline).items():
        described = describe(key)
        if described is None or value in ([], {}):
            continue
        label, kind = described
        table.add_row(terminal(label), terminal(value_text(value, kind, cur)))
    out.print(table)


def render_compare(diff: dict[str, Any], out: Console, currency: str = "EUR") -> None:
    """What changed between two runs, and the effect on the headline."""
    from bastion.cli.headline_view import delta_text, describe, value_text

    a, b = diff["a"], diff["b"]
    out.print(f"[bold]{terminal(a['run_id'])}[/bold] → [bold]{terminal(b['run_id'])}[/bold]")
    scenario = diff["scenario"]
    if scenario["changed"]:
        out.print(f"Scenario: {_lines(scenario['added'])} added, {_lines(scenario['removed'])} removed")
        for change in scenario["changes"]:
            text = _change_text(change)
            if text:
                out.print(f"  {terminal(text)}")
    else:
        out.print("Scenario: unchanged")
    for name, setting in diff["settings"].items():
        if setting["changed"]:
            out.print(f"{name}: {terminal(_setting(setting['a']))} → {terminal(_setting(setting['b']))}")
    table = Table(title="Effect on the headline", title_justify="left")
    table.add_column("what")
    for col in ("before", "after", "change"):
        table.add_column(col, justify="right")
    for entry in diff["headline"]:
        described = describe(entry["key"])
        if not entry["changed"] or described is None:
            continue
        label, kind = described
        only = entry.get("only_in")
        before = "-" if only == "b" else value_text(entry["a"], kind, currency)
        after = "-" if only == "a" else value_text(entry["b"], kind, currency)
        change = {"a": "removed", "b": "added"}.get(only or "") or delta_text(entry, kind, currency)
        table.add_row(*(terminal(x) for x in (label, before, after, change)))
    out.print(table if table.row_count else "Headline: no change")


def _lines(n: int) -> str:
    return f"{n:,} line{'s' if n != 1 else ''}"


def _setting(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "n/a" if value is None else str(value)


def _content(line: str, where: str) -> str:
    """A scenario line without its indentation, list dash and own key (the key is in `where`)."""
    text = line.strip()
    if text.startswith("- "):
        text = text[2:].lstrip()
    own = where.rsplit(".", 1)[-1]
    for key in (own, f'"{own}"', f"'{own}'"):
        if text.startswith(key + ":"):
            return text[len(key) + 1:].strip()
    return text


def change_text(change: dict[str, Any]) -> str:
    """One changed scenario line in words, as `bastion runs compare` prints it (also the server's diffs)."""
    return _change_text(change)


def _change_text(change: dict[str, Any]) -> str:
    """One changed scenario line in words ("" for a blank line added or removed)."""
    where = change["where"] or "(top level)"
    kind = change.get("kind") or ("added" if change["a"] is None else "removed" if change["b"] is None
                                  else "changed")
    if kind == "added":
        text = _content(change["b"], change["where"])
        return f"{where}: added {text} (line {change['line_b']})".replace("  (", " (") \
            if change["b"].strip() else ""
    if kind == "removed":
        text = _content(change["a"], change["where"])
        return f"{where}: removed {text} (was line {change['line_a']})".replace("  (", " (") \
            if change["a"].strip() else ""
    before, after = _content(change["a"], change["where"]), _content(change["b"], change["where"])
    return f"{where}: {before or '(empty)'} → {after or '(empty)'} (line {change['line_b']})"

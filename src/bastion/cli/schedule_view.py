"""`bastion schedule` on the terminal: the schedule with a text Gantt, the critical path as a path
(side-by-side critical tasks as such), and the risk as dates (P10/P50/P90)."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

from bastion.cli.common import marking, markup_escape
from bastion.programme.analysis import FIRST_OUTPUT_WINDOW, ScheduleAnalysis, critical_path_text

MIN_BAR, MAX_BAR = 12, 48


def _bar(start: float, finish: float, span: float, critical: bool, width: int) -> str:
    scale = width / max(span, 1e-9)
    left = round(start * scale)
    size = max(1, round((finish - start) * scale)) if finish > start else 0
    char = "█" if critical else "▒"
    return " " * left + (f"[red]{char * size}[/red]" if critical else char * size) if size else " " * left + "◆"


def _months(x: float) -> str:
    return f"{x:.1f} months"


def _schedule_table(data: dict[str, Any], width: int) -> Table:
    span = data["makespan_months"]
    task_w = max([len("task"), *(len(t["task"]) for t in data["tasks"])])
    bar_w = max(MIN_BAR, min(MAX_BAR, width - task_w - 7 - 7 - 13))
    table = Table(title="Schedule with mode durations (█ red: critical path; ▒: has float)", title_justify="left")
    table.add_column("task", no_wrap=True)
    table.add_column("start", no_wrap=True)
    table.add_column("finish", no_wrap=True)
    table.add_column(f"0 .. {math.ceil(span)} months", no_wrap=True, min_width=bar_w)
    for task in data["tasks"]:
        bar = _bar(task["start_months"], task["finish_months"], span, task["critical"], bar_w)
        table.add_row(markup_escape(task["task"]), task["start"], task["finish"], bar)
    return table


def _risk_table(data: dict[str, Any], risk: dict[str, Any]) -> Table:
    table = Table()
    for col in ("task", "P10", "P50", "P90", "critical"):
        table.add_column(col, no_wrap=True)
    for task in data["tasks"]:
        m = risk["milestones"][task["task"]]
        name = markup_escape(task["task"])
        table.add_row(name, m["p10_month"], m["p50_month"], m["p90_month"], f"{m['criticality']:.0%}")
    return table


def render_schedule(analysis: ScheduleAnalysis, out: Console) -> None:
    """Print the schedule, the critical path and the risk summary."""
    data = analysis.to_json()
    out.print(marking(analysis.scenario.marking()))
    proof = "proven optimal" if data["optimal"] else "best found, not proven optimal"
    method = "resource-constrained, CP-SAT" if data["method"] == "cp-sat" else "critical path method"
    out.print(
        f"[bold]{markup_escape(analysis.scenario.name)}[/bold]: programme from {data['programme_start']} to "
        f"{data['makespan_month']}, {_months(data['makespan_months'])} with mode durations ({method}, {proof})"
    )
    out.print(_schedule_table(data, out.width))
    path = markup_escape(critical_path_text(data["critical_steps"]))
    out.print(f"Critical path (∥: side by side, both critical): {path}")
    beside = [t["task"] for t in data["tasks"] if not t["critical"]]
    if beside:
        out.print(f"Beside it, with float: {markup_escape(', '.join(beside))}")
    for line, month in data["line_online"].items():
        out.print(f"{markup_escape(line)} online (can produce) from {month} with mode durations")
    risk = data.get("risk")
    if not risk:
        out.print(marking(analysis.scenario.marking()))
        return
    out.print(f"Finish month with duration risk ({risk['paths']:,} sampled schedules, seed {risk['seed']}):")
    out.print(_risk_table(data, risk))
    out.print("critical: the share of the sampled schedules in which the task is critical")
    mk, mm = risk["makespan"], risk["makespan_month"]
    out.print(
        "Programme finish: " + ", ".join(f"P{q} {mm[f'p{q}']} ({_months(mk[f'p{q}'])})" for q in (10, 50, 90))
        + f" from {data['programme_start']}"
    )
    if risk["first_output"]:
        first = risk["first_output"]
        out.print(
            f"[bold]First output[/bold] ({risk['paths']:,} sampled schedules, seed {risk['seed']}): "
            f"P10 {first['p10']}, P50 {first['p50']}, P90 {first['p90']}; "
            f"[bold]P(within {FIRST_OUTPUT_WINDOW} months of {data['programme_start']}) = "
            f"{first['p_within_24_months']:.1%}[/bold]"
        )
        out.print(
            "  (from the programme alone: the first month a committed line can produce; `bastion simulate` "
            "and `bastion run` draw the same durations with the same --paths and --seed, and give the "
            "figure that also counts the lines the plan builds)"
        )
    out.print(marking(analysis.scenario.marking()))

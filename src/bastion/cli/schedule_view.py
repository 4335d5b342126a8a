"""`bastion schedule` on the terminal: a table with a text Gantt and the headline risk."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from bastion.cli.common import marking, markup_escape
from bastion.programme.analysis import FIRST_OUTPUT_WINDOW, ScheduleAnalysis

BAR_WIDTH = 36


def _bar(start: float, finish: float, span: float, critical: bool) -> str:
    scale = BAR_WIDTH / max(span, 1e-9)
    left = round(start * scale)
    width = max(1, round((finish - start) * scale)) if finish > start else 0
    char = "█" if critical else "▒"
    return " " * left + (f"[red]{char * width}[/red]" if critical else char * width) if width else " " * left + "◆"


def render_schedule(analysis: ScheduleAnalysis, out: Console) -> None:
    """Print the schedule, the critical path and the risk summary."""
    data = analysis.to_json()
    out.print(marking(analysis.scenario.classification))
    proof = "proven optimal" if data["optimal"] else "best found, not proven optimal"
    method = "resource-constrained, CP-SAT" if data["method"] == "cp-sat" else "critical path method"
    out.print(
        f"[bold]{markup_escape(analysis.scenario.name)}[/bold]: programme from {data['programme_start']}, "
        f"{data['makespan_months']:g} months with mode durations ({method}, {proof})"
    )
    risk = data.get("risk")
    milestones = risk["milestones"] if risk else {}
    span = data["makespan_months"]
    table = Table(title="Schedule (mode durations; red = critical path)", title_justify="left")
    table.add_column("task", no_wrap=True)
    table.add_column("start")
    table.add_column("finish")
    table.add_column(f"0 .. {math.ceil(span)} months", no_wrap=True)
    if risk:
        table.add_column("finish P50 / P90")
        table.add_column("critical in")
    for task in data["tasks"]:
        row = [
            markup_escape(task["task"]),
            task["start"],
            task["finish"],
            _bar(task["start_months"], task["finish_months"], span, task["critical"]),
        ]
        if risk:
            m = milestones[task["task"]]
            row += [f"{m['p50_month']} / {m['p90_month']}", f"{m['criticality']:.0%}"]
        table.add_row(*row)
    out.print(table)
    out.print("Critical path: " + " → ".join(markup_escape(t) for t in data["critical_path"]))
    for line, month in data["line_online"].items():
        out.print(f"{markup_escape(line)} online (can produce) from {month} with mode durations")
    if risk and risk["first_output"]:
        first = risk["first_output"]
        out.print(
            f"[bold]First output[/bold] ({risk['paths']:,} sampled schedules, seed {risk['seed']}): "
            f"P10 {first['p10']}, P50 {first['p50']}, P90 {first['p90']}; "
            f"[bold]P(within {FIRST_OUTPUT_WINDOW} months of {data['programme_start']}) = "
            f"{first['p_within_24_months']:.1%}[/bold]"
        )
        mk = risk["makespan"]
        out.print(f"Programme finish: P10 {mk['p10']:g}, P50 {mk['p50']:g}, P90 {mk['p90']:g} months")
    out.print(marking(analysis.scenario.classification))

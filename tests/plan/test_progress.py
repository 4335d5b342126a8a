"""Progress texts of a plan solve, and the CLI's spinner helper."""

from __future__ import annotations

import io

from rich.console import Console

from bastion.cli.common import solving

from .conftest import PRIORITIES, plan


def test_every_step_is_told_in_order() -> None:
    told: list[str] = []
    r = plan(PRIORITIES, progress=told.append)
    assert r.short
    main = ["priority 1 shortfall, stage 1/3", "priority 2 shortfall, stage 2/3", "cost, stage 3/3"]
    assert told[:3] == main
    why = told[3:5]
    assert why == ["why short 1/1 (line capacity relaxed): priority 1 shortfall, stage 1/2",
                   "why short 1/1 (line capacity relaxed): priority 2 shortfall, stage 2/2"]
    fixes = told[5:-1]  # the bisection on line-1's capacity (plan/fixes.py), two stages per re-solve
    assert fixes[:2] == ["what fixes second shell 2026-06: line-1 capacity +x10: priority 1 shortfall, stage 1/2",
                         "what fixes second shell 2026-06: line-1 capacity +x10: priority 2 shortfall, stage 2/2"]
    assert all(f.startswith("what fixes second shell 2026-06: line-1 capacity +") for f in fixes)
    assert 4 <= len(fixes) <= 2 * 10
    assert r.explanations[0].fixes[0].change == 50  # 6 x (100 + d) >= 400 + 500
    assert told[-1] == "sensitivity: marginal values of the binding limits"


def test_no_progress_means_no_calls_and_the_same_plan() -> None:
    a = plan(PRIORITIES)
    b = plan(PRIORITIES, progress=lambda _t: None)
    assert a.to_json() | {"seconds": None} == b.to_json() | {"seconds": None}


def test_spinner_only_on_a_terminal() -> None:
    pipe = Console(file=io.StringIO(), force_terminal=False)
    with solving(pipe, "Planning") as tell:
        assert tell is None
    assert pipe.file.getvalue() == ""  # type: ignore[attr-defined]
    term = Console(file=io.StringIO(), force_terminal=True, width=100)
    with solving(term, "Planning") as tell:
        assert tell is not None
        tell("cost [stage 3/3]")  # markup in the text is printed as is
    assert "Planning" in term.file.getvalue()  # type: ignore[attr-defined]

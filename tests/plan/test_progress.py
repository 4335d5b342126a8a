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
    why = told[3:-1]
    assert why == ["why short 1/1 (line capacity relaxed): priority 1 shortfall, stage 1/2",
                   "why short 1/1 (line capacity relaxed): priority 2 shortfall, stage 2/2"]
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

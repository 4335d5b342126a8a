"""Above RESOLVE_MAX_COLS columns a short plan is explained without re-solves (diagnose.py)."""

from __future__ import annotations

import pytest

from bastion.plan import diagnose

from .conftest import PRIORITIES, plan


def test_large_model_is_explained_from_the_plan_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    full = plan(PRIORITIES)
    monkeypatch.setattr(diagnose, "RESOLVE_MAX_COLS", 0)
    cut = plan(PRIORITIES)
    assert cut.objective == full.objective  # the plan itself is the same
    assert [t.shortfall for t in cut.targets] == [t.shortfall for t in full.targets]
    (e,) = cut.explanations
    assert "line-1 capacity binds from 2026-01" in e.text  # what binds in the plan is still named
    assert "relaxations and fixes not searched" in e.text and "columns" in e.text
    assert e.fixes == () and e.relaxations == {}
    assert cut.sensitivity == ()  # marginal values need re-solves too
    assert full.sensitivity and any("would" in x.text or "meets it" in x.text for x in full.explanations)

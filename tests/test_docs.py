"""The docs cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

from bastion.scenario.reference_doc import ORDER, render

ROOT = Path(__file__).resolve().parents[1]


def test_scenario_reference_is_current() -> None:
    committed = (ROOT / "docs" / "scenario.md").read_text("utf-8")
    assert committed == render(), "docs/scenario.md is stale: run `make docs`"


def test_every_field_is_documented() -> None:
    for model in ORDER:
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no docstring"

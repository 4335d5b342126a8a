"""Fixtures of the report tests: the reference run (as `Run.to_json()` gives it) and the plan tables.

Regenerate the data with `.venv/bin/python tests/report/make_fixture.py`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parent / "data"

CHART_IDS = (
    "chart-fan-0-lv-naf-atm-1", "chart-fan-1-ee-df-atm-1", "chart-fan-2-lt-af-atm-1",
    "chart-production-ramp", "chart-deliveries", "chart-supplier-load", "chart-stock-cover",
    "chart-first-output", "chart-gantt", "chart-exposure-tts-ttr",
    "chart-exposure-index", "chart-cash-by-year", "chart-unit-cost",
)


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


_RUN: dict[str, Any] = _load("run-reference.json")
_TABLES: dict[str, list[dict[str, Any]]] = _load("tables-reference.json")
_SHORT_RUN: dict[str, Any] = _load("run-short.json")
_SHORT_TABLES: dict[str, list[dict[str, Any]]] = _load("tables-short.json")


@pytest.fixture
def run() -> dict[str, Any]:
    """A fresh copy of the reference run dict (tests may change it)."""
    return copy.deepcopy(_RUN)


@pytest.fixture
def tables() -> dict[str, list[dict[str, Any]]]:
    """A fresh copy of the reference plan's tidy tables."""
    return copy.deepcopy(_TABLES)


@pytest.fixture(scope="module")
def page() -> str:
    """The reference report page, rendered once per module."""
    from bastion.report import render_html

    return render_html(copy.deepcopy(_RUN), copy.deepcopy(_TABLES))


@pytest.fixture(scope="module")
def book() -> Any:
    """The reference run's workbook (`build_xlsx`), built and read once per module, for the tests
    that only read it (building and reading it takes about a second each)."""
    import io

    from openpyxl import load_workbook

    from bastion.report import build_xlsx

    return load_workbook(io.BytesIO(build_xlsx(copy.deepcopy(_RUN), copy.deepcopy(_TABLES))))


@pytest.fixture
def short_run() -> dict[str, Any]:
    """The short variant's run dict (Lithuania's 2032-12 target raised to 36,000: short in the plan)."""
    return copy.deepcopy(_SHORT_RUN)


@pytest.fixture
def short_tables() -> dict[str, list[dict[str, Any]]]:
    """The short variant's plan tables."""
    return copy.deepcopy(_SHORT_TABLES)

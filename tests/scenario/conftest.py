"""Fixtures for the scenario loader tests: a small valid scenario using every section."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # lets the tests import scenario_helpers

from scenario_helpers import VALID_YAML

from bastion.scenario import Scenario, load_text


@pytest.fixture
def valid_yaml() -> str:
    """The text of the small valid scenario."""
    return VALID_YAML


@pytest.fixture
def valid_scenario() -> Scenario:
    """The small valid scenario, loaded."""
    return load_text(VALID_YAML, "valid.yaml")

"""The scenario file format v1: models, loading with line-numbered errors, checks."""

from bastion.scenario.errors import Problem, ScenarioError
from bastion.scenario.load import dump_scenario, load_bytes, load_scenario, load_text
from bastion.scenario.model import Scenario

__all__ = [
    "Problem",
    "Scenario",
    "ScenarioError",
    "dump_scenario",
    "load_bytes",
    "load_scenario",
    "load_text",
]

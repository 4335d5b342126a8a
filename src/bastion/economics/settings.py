"""The optional `economics:` section of a scenario (defined with the scenario models)."""

from bastion.scenario.model import EconomicsSettings

__all__ = ["EconomicsSettings"]

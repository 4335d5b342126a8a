"""Bastion: plan a sovereign munitions production programme.

Works at the industrial and logistics level only: capacities, bills of
materials at sub-assembly level, suppliers, lead times, stock, schedules,
money and risk. Products are opaque items.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

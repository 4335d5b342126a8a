"""Shared fixtures: paths to the repository, the shared folder and packaged examples."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "src" / "bastion" / "scenario" / "examples"
REFERENCE = EXAMPLES / "baltic-atm-plant.yaml"


@pytest.fixture
def reference_path() -> Path:
    """The packaged reference scenario."""
    return REFERENCE

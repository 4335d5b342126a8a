"""Shared fixtures: paths to the repository, the shared folder and packaged examples."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# JAX's persistent compilation cache stays off in the suite (its own test turns it on in a
# temporary folder), so tests never write under the user's data folder.
os.environ["BASTION_JAX_CACHE"] = "off"

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "src" / "bastion" / "scenario" / "examples"
REFERENCE = EXAMPLES / "baltic-atm-plant.yaml"


@pytest.fixture
def reference_path() -> Path:
    """The packaged reference scenario."""
    return REFERENCE

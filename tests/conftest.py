"""Shared fixtures: paths to the repository, the shared folder and packaged examples."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests check behaviour, never speed: no per-example deadline and no "too slow"
# health check, so a busy machine (the suite runs on every core) cannot fail them.
settings.register_profile("bastion", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("bastion")

# JAX's persistent compilation cache stays off in the suite (its own test turns it on in a
# temporary folder), so tests never write under the user's data folder.
os.environ["BASTION_JAX_CACHE"] = "off"
# numba's cache (the compiled simulator step) goes to a temporary folder of this session, set
# before numba is imported: the step compiles once per session, never under the user's folder
# (a NUMBA_CACHE_DIR set by the caller is kept: reruns then load instead of compiling).
if not os.environ.get("NUMBA_CACHE_DIR"):
    _NUMBA_CACHE = tempfile.mkdtemp(prefix="bastion-numba-")
    os.environ["NUMBA_CACHE_DIR"] = _NUMBA_CACHE
    atexit.register(shutil.rmtree, _NUMBA_CACHE, True)

# Passwords hash at argon2's cheapest parameters in the test processes (a hash carries its own
# parameters, so a server a test starts verifies it as well): about 0.1 s of CPU less per hash and
# per sign-in, over hundreds of them. `bastion` itself keeps argon2-cffi's defaults.
def _cheap_hashing() -> None:
    from argon2 import PasswordHasher

    import bastion.server.security as security

    security._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


_cheap_hashing()


# Dask's gc diagnosis hook, held from the session's start, at import, while this process has one
# thread (study.engine.hold_gc_diagnosis): the local clusters the tests start and close, beside the
# threads of the servers they run, then never add or remove it in the middle of a collection.
def _dask_gc_hook() -> None:
    from bastion.study.engine import hold_gc_diagnosis

    hold_gc_diagnosis()


_dask_gc_hook()

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "src" / "bastion" / "scenario" / "examples"
REFERENCE = EXAMPLES / "baltic-atm-plant.yaml"


@pytest.fixture
def reference_path() -> Path:
    """The packaged reference scenario."""
    return REFERENCE



@pytest.fixture(scope="session")
def numba_cache() -> Path:
    """numba's cache folder of this session (set above): the compiled simulator step compiles
    once per session, and nothing is written under the user's data folder."""
    return Path(os.environ["NUMBA_CACHE_DIR"])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests marked `slow` first (in their collection order), then the rest (in theirs).

    `make test` shares the tests among workers (pytest-xdist, worksteal): a worker that runs out
    takes half of another's queue, but a test already running cannot be shared. A slow test (a
    server, a browser journey, the demo: up to a minute) left near the end of the collection kept
    one worker busy while the other had nothing left; first, they run beside the quick ones, which
    fill in at the end. Nothing else changes: the same tests, the same fixtures.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)

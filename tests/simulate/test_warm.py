"""The simulator's step compiles in a second process while the plan solves (simulate/warm.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.simulate import warm


def test_only_a_compiled_run_warms_up() -> None:
    assert not warm.wants_compiled("numpy", 10_000, 120)
    assert not warm.wants_compiled("jax", 10_000, 120)
    assert not warm.wants_compiled("auto", 100, 120)  # under auto's 1,000,000 path-months: numpy
    assert warm.wants_compiled("auto", 10_000, 120)
    assert warm.wants_compiled("compiled", 1, 6)


def test_cached_needs_both_indexes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert not warm.cached()
    deep = tmp_path / "some" / "where"
    deep.mkdir(parents=True)
    (deep / "compiled_step.run_tiles-106.py311.nbi").write_bytes(b"")
    assert not warm.cached()
    (deep / "compiled_events.drawn_hundredths-104.py311.nbi").write_bytes(b"")
    assert warm.cached()
    assert warm.start("compiled", 10_000, 120) is None  # in the cache already: no process


def test_the_child_compiles_into_the_cache_and_says_nothing(numba_cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(warm, "cached", lambda: False)  # whatever this session compiled before
    process = warm.start("compiled", 10_000, 120)
    assert process is not None
    warm.finish(process)
    assert process.exitcode == 0
    monkeypatch.undo()
    assert warm.cached()  # the session's numba cache now holds both functions
    out, err = capfd.readouterr()
    assert out == "" and err == ""

"""The JAX backend's accelerator path (device-side events, union components, sorted histograms),
run here on the CPU: JAX is told it is on a GPU, so the same code a GPU runs is exercised."""

from __future__ import annotations

import importlib.util
import math
from typing import Any

import numpy as np
import pytest

from bastion.simulate import simulate

from .helpers import plan_of, scenario
from .test_closed_forms import _no_slack

pytestmark = pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                                reason="JAX is not installed (pip install bastion[jax])")


@pytest.fixture
def on_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import jax

    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")


def _cover(a: Any, b: Any, months: int, size: int) -> np.ndarray:
    import jax.numpy as jnp

    from bastion.simulate.jax_backend import window_cover

    j = jnp.zeros((a.shape[0], a.shape[2]), jnp.int32)
    out = []
    for m in range(months):
        c, j = window_cover(a, b, j, jnp.float32(m), size)
        out.append(np.asarray(c))
    return np.stack(out)


def test_union_components_by_hand() -> None:
    import jax.numpy as jnp

    from bastion.simulate.jax_backend import BIG, components

    # one node, one path: [0.5, 1.5) and [1.2, 2.0) overlap; [2.0, 2.5) touches; [3.0, 3.25) apart;
    # [3.1, 3.2) inside; one unused slot
    s = jnp.array([[[3.1], [1.2], [0.5], [3.0], [2.0], [BIG]]], jnp.float32)
    e = jnp.array([[[3.2], [2.0], [1.5], [3.25], [2.5], [BIG]]], jnp.float32)
    a, b = components(s, e)
    assert np.asarray(a[0, :, 0]).tolist()[:2] == [0.5, 3.0]
    assert np.asarray(b[0, :, 0]).tolist()[:2] == [2.5, 3.25]
    assert (np.asarray(a[0, 2:, 0]) == BIG).all()
    pad = jnp.full((1, 1, 1), BIG, jnp.float32)
    cov = _cover(jnp.concatenate([a, pad], 1), jnp.concatenate([b, pad], 1), 5, size=5)
    assert cov[:, 0, 0] == pytest.approx([0.5, 1.0, 0.5, 0.25, 0.0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_window_coverage_equals_reading_every_event(seed: int) -> None:
    import jax
    import jax.numpy as jnp

    from bastion.simulate.engine import prepare
    from bastion.simulate.jax_backend import JaxRunner
    from bastion.simulate.numpy_backend import fan_upper

    s = scenario(_no_slack(6.0).replace("months: 12", "months: 36").replace(
        "recovery_months: [0.5, 1, 2]", "recovery_months: [0.25, 0.5, 3]"))
    _pa, u, p = prepare(s, plan_of(s))
    r = JaxRunner(p, u, seed, fan_upper(p), events="device")
    assert r.window == 6  # components at least 0.24 month long (0.25 less a hundredth): at most 6 a month
    keys = jax.vmap(lambda k: jax.random.fold_in(jax.random.PRNGKey(seed), k))(jnp.arange(2))
    a, b = r._pieces(keys)
    full = np.stack([np.minimum(np.clip(np.minimum(b, m + 1.0) - np.maximum(a, m), 0, 1).sum(1), 1)
                     for m in range(p.n)])
    ca, cb = r._components(keys)
    window = _cover(ca, cb, p.n, r.window)
    assert full.sum() > 100  # some months are covered
    assert np.abs(window - full).max() <= 1e-5


def test_sorted_histogram_equals_the_bincount() -> None:
    import jax.numpy as jnp

    from bastion.simulate.jax_backend import hist_scatter, hist_sort

    rng = np.random.default_rng(3)
    bins = jnp.asarray(np.clip(rng.normal(120, 6, (3, 3000)), 0, 255).astype(np.uint8))
    valid = jnp.arange(3000) < 2711
    a = np.asarray(hist_scatter(bins, valid))
    b = np.asarray(hist_sort(bins, valid))
    assert a.shape == b.shape == (3, 256)
    assert (a == b).all()
    assert (a.sum(axis=1) == 2711).all()
    assert a[0, 120] == int((np.asarray(bins[0, :2711]) == 120).sum())


def test_accelerator_path_meets_the_closed_form(on_gpu: None) -> None:
    rate = 0.8
    s = scenario(_no_slack(rate))
    res = simulate(s, plan_of(s), paths=20_000, seed=11, backend="jax")
    t = res.targets[0]
    assert res.chunk == 20 * 1024  # the accelerator's chunk: every path at once
    assert abs(t.probability - math.exp(-rate)) <= 4 * t.stderr


def test_accelerator_path_short_last_chunk_is_padded_not_recompiled(on_gpu: None) -> None:
    s = scenario(_no_slack(2.0))
    plan = plan_of(s)
    a = simulate(s, plan, paths=5000, seed=4, backend="jax", chunk=2048)
    b = simulate(s, plan, paths=5000, seed=4, backend="jax", chunk=1024)
    # float32 per path: XLA may vectorise each compiled size on its own, so compare counts exactly
    # and stock figures to float32 precision
    assert [t.probability for t in a.targets] == [t.probability for t in b.targets]
    assert a.first_output == b.first_output
    for ta, tb in zip(a.targets, b.targets, strict=True):
        assert ta.p50_units == pytest.approx(tb.p50_units, rel=1e-5)
        assert ta.mean_units == pytest.approx(tb.mean_units, rel=1e-5)
    for fa, fb in zip(a.fans, b.fans, strict=True):
        np.testing.assert_allclose(fa.p50, fb.p50, rtol=1e-5, atol=1e-3)
    # per path: float32 on the device, where XLA may vectorise a 2,048-path chunk differently
    np.testing.assert_allclose(a.per_path.cost, b.per_path.cost, rtol=1e-5)
    assert (a.per_path.met_month == b.per_path.met_month).all()


def test_programme_months_from_worker_processes_equal_the_inline_draw() -> None:
    from bastion.simulate.engine import prepare
    from bastion.simulate.online import OnlineSampler, online_blocks

    s = scenario(_no_slack(2.0).replace("customers:", """programme: {tasks: {t: {duration_months: [0, 1, 4]}}}
customers:""").replace("capacity_per_month: 1000}", "capacity_per_month: 1000, online: {milestone: t}}"))
    _pa, u, _p = prepare(s, plan_of(s))
    assert u.samples_programme
    sampler = OnlineSampler(u, 7, workers=2)
    try:
        sampler.request(2, 5)
        ahead = sampler.get(2, 5)
        other = sampler.get(5, 6)  # not requested: drawn by the pool on demand
    finally:
        sampler.close()
    assert ahead.shape == (1, 3 * 1024)
    assert (ahead == online_blocks(u, 7, 2, 5)).all()
    assert (other == online_blocks(u, 7, 5, 6)).all()
    assert len(np.unique(ahead)) > 1  # sampled, not the plan's month


def test_accelerator_chunk_is_whole_blocks_within_memory() -> None:
    from bastion.simulate.engine import prepare
    from bastion.simulate.jax_backend import accelerator_chunk

    s = scenario(_no_slack(2.0))
    _pa, u, p = prepare(s, plan_of(s))
    assert accelerator_chunk(p, u, memory=2**40) == 2**20  # the cap
    small = accelerator_chunk(p, u, memory=2**26)
    assert small % 1024 == 0 and 1024 <= small < 2**20
    assert (small // 1024) & (small // 1024 - 1) == 0  # a power of two of blocks
    assert accelerator_chunk(p, u, memory=1) == 1024  # never below one block


def test_compilation_cache_is_reused_and_changes_no_number(tmp_path: Any) -> None:
    import json
    import os
    import subprocess
    import sys

    from .helpers import REFERENCE

    minimal = REFERENCE.parents[4] / "examples" / "minimal.yaml"  # the cache's behaviour, at a small size
    cache = tmp_path / "cache"
    env = {**os.environ, "BASTION_JAX_CACHE": str(cache), "BASTION_HOME": str(tmp_path)}
    cmd = [sys.executable, "-m", "bastion", "simulate", str(minimal), "--backend", "jax",
           "--paths", "2048", "--json"]
    runs = [subprocess.run(cmd, env=env, capture_output=True, text=True, check=True) for _ in range(2)]
    entries = sorted(p.name for p in cache.iterdir())
    assert any(name.startswith("jit_run") for name in entries)  # the month loop was stored
    a, b = (json.loads(r.stdout) for r in runs)
    a.pop("seconds", None)
    b.pop("seconds", None)
    assert a == b
    off = subprocess.run(cmd, env={**env, "BASTION_JAX_CACHE": "off", "BASTION_HOME": str(tmp_path / "h")},
                         capture_output=True, text=True, check=True)
    assert json.loads(off.stdout)["targets"] == a["targets"]
    assert not (tmp_path / "h" / "jax-cache").exists()


def test_compilation_cache_folder_choice(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import jax

    from bastion.simulate.jax_backend import compilation_cache

    before = jax.config.values.get("jax_compilation_cache_dir")
    monkeypatch.setenv("HOME", str(tmp_path))
    try:
        assert compilation_cache({"BASTION_JAX_CACHE": "off"}) is None
        assert compilation_cache({"BASTION_JAX_CACHE": "~/jc"}) == str(tmp_path / "jc")  # ~ expanded
        jax.config.update("jax_compilation_cache_dir", str(tmp_path / "mine"))
        assert compilation_cache({}) == str(tmp_path / "mine")  # the caller's own folder is kept
        assert compilation_cache({"BASTION_HOME": str(tmp_path / "h"), "BASTION_JAX_CACHE": str(tmp_path / "b")}
                                 ) == str(tmp_path / "b")
        jax.config.update("jax_compilation_cache_dir", None)
        assert compilation_cache({}) is None  # the engine alone chooses no folder
        assert compilation_cache({}, default=str(tmp_path / "d")) == str(tmp_path / "d")
        jax.config.update("jax_compilation_cache_dir", None)
        from bastion.cli.simulate_cmd import jax_cache_dir

        assert jax_cache_dir({"BASTION_HOME": str(tmp_path / "h")}) == str(tmp_path / "h" / "jax-cache")
    finally:
        jax.config.update("jax_compilation_cache_dir", before)


def test_a_script_without_main_guard_runs_numpy_in_process_once_jax_is_loaded(tmp_path: Any) -> None:
    import os
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(f"""
import jax
from bastion.scenario import load_text
from bastion.plan import solve_plan
from bastion.simulate import simulate
s = load_text({_no_slack(2.0)!r})
r = simulate(s, solve_plan(s, explain=False, sensitivity=False), paths=5000, seed=1)
print("ok", r.workers, r.targets[0].probability)
""")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "BASTION_JAX_CACHE": "off"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("ok 1 ")

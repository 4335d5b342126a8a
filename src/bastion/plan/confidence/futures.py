"""Sampled futures for the confidence plan, drawn with the simulator's own samplers.

A future is what the simulator samples on one path (SCENARIO.md, "Time"):
the programme's online months, each supplier's and line's availability per
month (1 - the share of the month covered by the union of its events and of
the risks naming it) and each customer's surge share per month. They come
from :mod:`bastion.simulate.events` (``block_online``, ``sample_events``,
``coverage``) on the simulator's block streams, with a spawn key of their own
(``PLAN_BLOCK_BASE`` + block), so the futures used to plan never coincide
with those of a simulation or of the validation, whatever its seed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bastion.online import line_online_months
from bastion.plan.result import PlanResult
from bastion.scenario.model import Scenario
from bastion.simulate.adapter import plan_arrays
from bastion.simulate.events import BLOCK, Uncertainty, block_rng, coverage, sample_block
from bastion.simulate.numpy_backend import AVAIL, SHARE

FloatArray = npt.NDArray[np.float64]

PLAN_BLOCK_BASE = 2**40
"""Spawn keys of the planning futures: block b draws from SeedSequence(seed, (2^40 + b,))."""
BOUND_BLOCK_BASE = 2**41
"""The perfect-foresight bound's futures (bound.py) have streams of their own: the plan was fitted
to the planning futures, so a bound counted on them would not be independent of the plan."""


@dataclass(frozen=True)
class Futures:
    """S sampled futures, in the plan index's orders (lines, suppliers, customers)."""

    count: int
    seed: int
    online: npt.NDArray[np.int64]  # (S, L) online month per line (optional: earliest on that path)
    line_avail: FloatArray  # (S, L, N)
    supplier_avail: FloatArray  # (S, U, N) in scenario.suppliers order
    surge: FloatArray  # (S, C, N) share of each month in a surge
    surge_factor: FloatArray  # (C,)
    suppliers: tuple[str, ...]


def uncertain(u: Uncertainty) -> bool:
    """True when something is random: an event source, or a sampled programme."""
    return bool(u.sources) or u.samples_programme


def all_built_uncertainty(scenario: Scenario, plan: PlanResult) -> Uncertainty:
    """The simulator's uncertainty with every line built (optional lines at their earliest month).

    The plan decides which optional lines to build, so the futures sample
    every line's events and milestone; an optional line's online month on a
    path is max(its earliest month, the sampled milestone's month), as the
    simulator plays a plan that builds it then.
    """
    from bastion.simulate.events import uncertainty_of

    pa = plan_arrays(scenario, plan)
    earliest = line_online_months(scenario)
    online = np.array([earliest[lid] for lid in pa.lines], dtype=np.int64)
    pa = dataclasses.replace(pa, built=np.ones(len(pa.lines), dtype=bool), online=online)
    return uncertainty_of(scenario, pa)


def draw_futures(scenario: Scenario, u: Uncertainty, count: int, seed: int,
                 base: int = PLAN_BLOCK_BASE) -> Futures:
    """`count` futures from the planning stream of `seed` (whole blocks of BLOCK paths, cut);
    `base`: the streams' first spawn key (BOUND_BLOCK_BASE: the bound's own futures)."""
    n = u.n
    onl, line_av, sup_av, surge = [], [], [], []
    for b in range(-(-count // BLOCK)):
        k = min(BLOCK, count - b * BLOCK)
        online, ev = sample_block(u, k, block_rng(seed, base + b))
        hund = coverage(u, ev, k).hundredths()  # (n, risky + 1, k)
        onl.append(np.ceil(online.T - 1e-9).astype(np.int64))
        line_av.append(np.transpose(AVAIL[hund[:, u.line_col, :]], (2, 1, 0)))
        sup_av.append(np.transpose(AVAIL[hund[:, u.sup_col, :]], (2, 1, 0)))
        surge.append(np.transpose(SHARE[hund[:, u.cust_col, :]], (2, 1, 0)))
    del n
    return Futures(count=count, seed=seed, online=np.concatenate(onl),
                   line_avail=np.concatenate(line_av), supplier_avail=np.concatenate(sup_av),
                   surge=np.concatenate(surge), surge_factor=u.surge_factor.copy(),
                   suppliers=tuple(scenario.suppliers))


def simulated_shortfall(scenario: Scenario, plan: PlanResult, count: int, seed: int
                        ) -> FloatArray | None:
    """(T, S) each target's shortfall at `by` when the simulator plays `plan` in the planning
    futures (the same streams as `draw_futures`), or None when the plan's uncertainty does not
    draw the same numbers (its programme is not sampled while the all-built one is)."""
    from bastion.simulate.engine import prepare
    from bastion.simulate.numpy_backend import run_months

    pa, u, p = prepare(scenario, plan)
    if u.samples_programme != all_built_uncertainty(scenario, plan).samples_programme:
        return None
    units = np.array([t for _c, _i, _b, t in pa.targets])
    out = []
    for b in range(-(-count // BLOCK)):
        k = min(BLOCK, count - b * BLOCK)
        online, ev = sample_block(u, k, block_rng(seed, PLAN_BLOCK_BASE + b))
        state, _piles, _outs = run_months(p, u, online, coverage(u, ev, k))
        out.append(np.maximum(units[:, None] - np.asarray(state.at_by), 0.0))
    short: FloatArray = np.concatenate(out, axis=1)
    return short

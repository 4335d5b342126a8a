"""Schedule risk: sample durations, sample schedules, summarise them.

:func:`sample_finishes` is the function the Monte-Carlo simulator reuses for
line online months: ``(network, n, rng) -> (n, T) finish times`` in months
from programme start.

Durations are drawn from the triangular [min, mode, max] by the inverse CDF
and rounded to the programme's resolution of 0.01 month. Schedules are then
computed in exact integer hundredths of a month, so a path whose durations
equal the modes reproduces the deterministic schedule exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bastion.programme.cpm import backward_pass_paths, forward_pass_paths
from bastion.programme.network import Network, to_centi
from bastion.programme.result import RiskSummary, TaskRisk
from bastion.programme.sgs import critical_mask, list_from_starts, serial_sgs_paths

__all__ = [
    "PATH_BLOCK",
    "SampledSchedules",
    "block_rng",
    "finish_month_index",
    "online_month_index",
    "probability_by",
    "probability_online_within",
    "sample_durations",
    "sample_finishes",
    "sample_schedules",
    "sample_schedules_in_blocks",
    "schedule_paths",
    "sgs_order",
    "summarise",
    "triangular_cdf",
]

PATH_BLOCK = 1024
"""Paths per random-stream block, shared with the Monte-Carlo simulator."""


def block_rng(seed: int, block: int) -> np.random.Generator:
    """The random stream of path block `block`: ``SeedSequence(seed, spawn_key=(block,))``.

    `bastion schedule` and `bastion simulate` both draw block b's programme
    durations first from this stream, so with the same seed and paths they
    see the same sampled schedules.
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_MONTH_EPS_DECIMALS = 6


def sample_durations(net: Network, n: int, rng: np.random.Generator) -> FloatArray:
    """(n, T) durations in months, triangular [min, mode, max], rounded to 0.01.

    Inverse CDF of uniforms: with ``F(c) = (c - a) / (b - a)``, ``u < F(c)``
    gives ``a + sqrt(u (b - a)(c - a))``, otherwise ``b - sqrt((1 - u)(b - a)(b - c))``.
    A range [a, a, a] gives exactly a (rounded to 0.01).
    """
    a, c, b = (net.durations[:, k][None, :] for k in range(3))
    u = rng.random((n, net.size))
    width = b - a
    fc = np.divide(c - a, width, out=np.zeros_like(width), where=width > 0)
    left = a + np.sqrt(u * width * (c - a))
    right = b - np.sqrt((1.0 - u) * width * (b - c))
    x = np.where(u < fc, left, right)
    out: FloatArray = np.rint(x * 100.0) / 100.0
    return out


def triangular_cdf(x: npt.ArrayLike, a: float, c: float, b: float) -> FloatArray:
    """CDF of the triangular [a, c, b] (a step at a when a == b)."""
    xs = np.asarray(x, dtype=np.float64)
    if b <= a:
        return (xs >= a).astype(np.float64)
    lo = np.where(c > a, (xs - a) ** 2 / ((b - a) * max(c - a, 1e-300)), 0.0)
    hi = np.where(b > c, 1.0 - (b - xs) ** 2 / ((b - a) * max(b - c, 1e-300)), 1.0)
    out: FloatArray = np.where(xs <= a, 0.0, np.where(xs <= c, lo, np.where(xs < b, hi, 1.0)))
    return out


def sgs_order(net: Network, time_limit_s: float = 30.0) -> tuple[int, ...]:
    """The SGS list: tasks by start in the deterministic optimum (ties by precedence, then file order)."""
    from bastion.programme.rcpsp import schedule  # deferred: CP-SAT only when needed

    return list_from_starts(net, schedule(net, time_limit_s=time_limit_s).starts)


@dataclass(frozen=True, eq=False)
class SampledSchedules:
    """Sampled schedules, (n, T) each, in months from programme start."""

    durations: FloatArray
    starts: FloatArray
    finishes: FloatArray
    critical: npt.NDArray[np.bool_]


def _schedule_centi(net: Network, d: IntArray, order: Sequence[int] | None) -> tuple[IntArray, IntArray]:
    if not net.has_resources:
        f: IntArray = forward_pass_paths(net, d).astype(np.int64, copy=False)
        return f - d, f
    if order is None:
        order = sgs_order(net)
    return serial_sgs_paths(net, d, order)


def schedule_paths(
    net: Network, durations: npt.ArrayLike, order: Sequence[int] | None = None
) -> tuple[FloatArray, FloatArray]:
    """(starts, finishes) for given (n, T) durations in months (rounded to 0.01).

    Without resources: the CPM forward pass, vectorised over paths. With
    resources: the serial SGS in ``order`` (default :func:`sgs_order`).
    """
    d = to_centi(np.atleast_2d(np.asarray(durations, dtype=np.float64)))
    s, f = _schedule_centi(net, d, order)
    return s / 100.0, f / 100.0


def sample_finishes(
    net: Network, n: int, rng: np.random.Generator, order: Sequence[int] | None = None
) -> FloatArray:
    """(n, T) sampled finish times, months from programme start.

    Durations from :func:`sample_durations`; schedules as in
    :func:`schedule_paths`. Pass ``order`` (from :func:`sgs_order`) to avoid
    solving the deterministic schedule again on each call.
    """
    return schedule_paths(net, sample_durations(net, n, rng), order)[1]


def sample_schedules(
    net: Network, n: int, rng: np.random.Generator, order: Sequence[int] | None = None
) -> SampledSchedules:
    """Sampled durations, starts, finishes and the critical tasks of each path.

    Criticality without resources: zero total float in the path's own CPM.
    With resources: see :func:`bastion.programme.sgs.critical_mask`.
    """
    d = to_centi(sample_durations(net, n, rng))
    s, f = _schedule_centi(net, d, order)
    if net.has_resources:
        crit = critical_mask(net, s, f)
    else:
        lf = backward_pass_paths(net, d, f)
        crit = np.asarray(lf == f)
    return SampledSchedules(d / 100.0, s / 100.0, f / 100.0, crit)


def sample_schedules_in_blocks(
    net: Network, n: int, seed: int, order: Sequence[int] | None = None
) -> SampledSchedules:
    """:func:`sample_schedules` of `n` paths drawn block by block (:data:`PATH_BLOCK` paths
    from :func:`block_rng` each): path i gets the same durations as path i of the simulator."""
    parts = [
        sample_schedules(net, min(PATH_BLOCK, n - lo), block_rng(seed, b), order)
        for b, lo in enumerate(range(0, n, PATH_BLOCK))
    ]
    if not parts:
        return sample_schedules(net, 0, block_rng(seed, 0), order)
    return SampledSchedules(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in ("durations", "starts", "finishes", "critical"))
    )


def summarise(net: Network, samples: SampledSchedules, grid: npt.ArrayLike | None = None) -> RiskSummary:
    """S-curve of programme finish, P10/P50/P90 and criticality index of every task.

    ``grid`` (months) defaults to 0.25-month steps from 0 to the largest
    sampled finish.
    """
    f = samples.finishes
    n = f.shape[0]
    makespan = np.sort(f.max(axis=1)) if f.shape[1] else np.zeros(n)
    if grid is None:
        top = float(np.ceil(makespan[-1] * 4) / 4) if n else 0.0
        grid = np.arange(0.0, top + 0.25, 0.25)
    xs = np.asarray(grid, dtype=np.float64)
    probs = np.searchsorted(makespan, xs + 1e-9, side="right") / max(n, 1)
    pct = np.percentile(f, [10, 50, 90], axis=0) if n else np.zeros((3, net.size))
    crit = samples.critical.mean(axis=0) if n else np.zeros(net.size)
    tasks = tuple(
        TaskRisk(
            task=net.tasks[j],
            p10=float(pct[0, j]),
            p50=float(pct[1, j]),
            p90=float(pct[2, j]),
            mean=float(f[:, j].mean()) if n else 0.0,
            criticality=float(crit[j]),
        )
        for j in range(net.size)
    )
    return RiskSummary(
        paths=n,
        makespan_sorted=makespan,
        s_curve=tuple((float(x), float(p)) for x, p in zip(xs, probs, strict=True)),
        tasks=tasks,
        finishes=f,
    )


def probability_by(finishes: npt.ArrayLike, x: float) -> float:
    """Share of sampled finishes at or before ``x`` months (1e-6 tolerance)."""
    f = np.asarray(finishes, dtype=np.float64)
    return float(np.mean(f <= x + 1e-6)) if f.size else 0.0


def finish_month_index(finish: npt.ArrayLike, start: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The month (from programme start) in which a task finishing at ``finish`` is reported.

    ``ceil(finish) - 1``; a task of zero duration (finish == start): the month
    of its start, ``floor(start)``. Times are rounded to 1e-6 month first, so
    a float sum such as 24.000000001 counts as 24.
    """
    f = np.round(np.asarray(finish, dtype=np.float64), _MONTH_EPS_DECIMALS)
    s = np.round(np.asarray(start, dtype=np.float64), _MONTH_EPS_DECIMALS)
    out: npt.NDArray[np.int64] = np.where(f <= s, np.floor(s), np.ceil(f) - 1).astype(np.int64)
    return out


def online_month_index(finish: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The first month (from programme start) a line online at milestone ``finish`` produces.

    ``ceil(finish)``, after rounding to 1e-6: a finish of 23.5 gives month 24,
    a finish of exactly 24.0 gives month 24.
    """
    f = np.round(np.asarray(finish, dtype=np.float64), _MONTH_EPS_DECIMALS)
    out: npt.NDArray[np.int64] = np.ceil(f).astype(np.int64)
    return out


def probability_online_within(finishes: npt.ArrayLike, months: int = 24) -> float:
    """Share of paths whose online month is one of the first ``months`` (index <= months - 1).

    "First output within 24 months" (SCENARIO.md): the milestone must finish
    by month 23.0 exactly; a finish at 23.5 gives output from month 24.
    """
    idx = online_month_index(finishes)
    return float(np.mean(idx <= months - 1)) if idx.size else 0.0

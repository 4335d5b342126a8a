"""A small, strict reader for PSPLIB single-mode RCPSP files (``.sm``).

Jobs keep the file's numbering: job 1 is the dummy source, the last job the
dummy sink. Index ``i`` in the arrays is job ``i + 1``. Anything malformed or
missing raises :class:`PsplibError` with the line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bastion.programme.network import Network, NetworkError, topological_order
from bastion.programme.rcpsp import solve_rcpsp
from bastion.programme.result import RcpspSolution

__all__ = ["PsplibError", "PsplibInstance", "parse_psplib", "read_psplib", "solve_psplib"]

IntArray = npt.NDArray[np.int64]


class PsplibError(ValueError):
    """A PSPLIB file that cannot be read; the message names the line."""


@dataclass(frozen=True, eq=False)
class PsplibInstance:
    """One single-mode RCPSP instance.

    Attributes:
        name: file name (or the name given to :func:`parse_psplib`).
        durations: (J,) integer durations, job ``i + 1`` at index ``i``.
        successors, preds: successor/predecessor indices of each job.
        capacity: (R,) renewable capacities.
        demand: (J, R) per-period demands.
        horizon: the file's horizon (an upper bound, informational).
    """

    name: str
    durations: IntArray
    successors: tuple[tuple[int, ...], ...]
    preds: tuple[tuple[int, ...], ...]
    capacity: IntArray
    demand: IntArray
    horizon: int

    @property
    def jobs(self) -> int:
        """Number of jobs, dummies included."""
        return len(self.durations)

    def to_network(self) -> Network:
        """The instance as a programme network (job numbers as ids, durations constant)."""
        d = self.durations.astype(np.float64)
        return Network(
            tasks=tuple(str(i + 1) for i in range(self.jobs)),
            durations=np.stack([d, d, d], axis=1),
            preds=self.preds,
            resources=tuple(f"R{k + 1}" for k in range(len(self.capacity))),
            capacity=self.capacity,
            demand=self.demand,
        )


class _Lines:
    """Non-empty lines with their 1-based numbers, and a cursor."""

    def __init__(self, text: str) -> None:
        self.items = [(n, s.strip()) for n, s in enumerate(text.splitlines(), 1) if s.strip()]
        self.pos = 0
        self.last = len(text.splitlines())

    def find(self, pattern: str, section: str) -> tuple[int, str]:
        rx = re.compile(pattern, re.IGNORECASE)
        while self.pos < len(self.items):
            n, s = self.items[self.pos]
            self.pos += 1
            if rx.search(s):
                return n, s
        raise PsplibError(f"line {self.last}: file ends before the {section} section")

    def next(self, what: str) -> tuple[int, str]:
        if self.pos >= len(self.items):
            raise PsplibError(f"line {self.last}: file ends before {what}")
        n, s = self.items[self.pos]
        self.pos += 1
        return n, s


def _ints(n: int, s: str, what: str) -> list[int]:
    try:
        return [int(x) for x in s.split()]
    except ValueError:
        raise PsplibError(f"line {n}: expected integers for {what}, found {s!r}") from None


def _header_int(lines: _Lines, pattern: str, what: str) -> int:
    n, s = lines.find(pattern, what)
    m = re.search(r":\s*(-?\d+)", s)
    if not m:
        raise PsplibError(f"line {n}: expected a number for {what}, found {s!r}")
    return int(m.group(1))


def parse_psplib(text: str, name: str = "<string>") -> PsplibInstance:
    """Parse the text of a single-mode ``.sm`` file."""
    lines = _Lines(text)
    jobs = _header_int(lines, r"^jobs\b", "jobs count")
    horizon = _header_int(lines, r"^horizon\b", "horizon")
    n_res = _header_int(lines, r"-\s*renewable", "RESOURCES")
    if jobs < 2 or n_res < 0:
        raise PsplibError(f"{name}: invalid jobs count {jobs} or resource count {n_res}")
    lines.find(r"^PRECEDENCE RELATIONS", "PRECEDENCE RELATIONS")
    lines.next("the precedence table header")
    succs: list[tuple[int, ...]] = []
    for j in range(1, jobs + 1):
        n, s = lines.next(f"the precedence line of job {j}")
        row = _ints(n, s, f"the precedence line of job {j}")
        if len(row) < 3 or row[0] != j:
            raise PsplibError(f"line {n}: expected the precedence line of job {j}, found {s!r}")
        if row[1] != 1:
            raise PsplibError(f"line {n}: job {j} has {row[1]} modes; only single-mode files are read")
        if len(row) - 3 != row[2]:
            raise PsplibError(f"line {n}: expected {row[2]} successors for job {j}, found {len(row) - 3}")
        bad = [x for x in row[3:] if not 1 <= x <= jobs]
        if bad:
            raise PsplibError(f"line {n}: job {j} has unknown successor {bad[0]}")
        succs.append(tuple(x - 1 for x in row[3:]))
    lines.find(r"^REQUESTS/DURATIONS", "REQUESTS/DURATIONS")
    lines.next("the requests table header")
    n, s = lines.next("the requests table")
    if not set(s) <= {"-"}:
        lines.pos -= 1
    durations = np.zeros(jobs, dtype=np.int64)
    demand = np.zeros((jobs, n_res), dtype=np.int64)
    for j in range(1, jobs + 1):
        n, s = lines.next(f"the duration line of job {j}")
        row = _ints(n, s, f"the duration line of job {j}")
        if len(row) != 3 + n_res or row[0] != j:
            raise PsplibError(f"line {n}: expected job {j}, mode, duration and {n_res} demands, found {s!r}")
        if row[2] < 0 or min(row[3:], default=0) < 0:
            raise PsplibError(f"line {n}: job {j} has a negative duration or demand")
        durations[j - 1] = row[2]
        demand[j - 1] = row[3:]
    lines.find(r"^RESOURCEAVAILABILITIES", "RESOURCEAVAILABILITIES")
    lines.next("the resource names")
    n, s = lines.next("the resource availabilities")
    capacity = np.array(_ints(n, s, "the resource availabilities"), dtype=np.int64)
    if len(capacity) != n_res:
        raise PsplibError(f"line {n}: expected {n_res} resource availabilities, found {len(capacity)}")
    over = np.argwhere(demand > capacity[None, :])
    if len(over):
        j, k = (int(x) for x in over[0])
        raise PsplibError(
            f"line {n}: job {j + 1} demands {demand[j, k]} of resource R{k + 1}, "
            f"above its availability {capacity[k]}"
        )
    preds: list[list[int]] = [[] for _ in range(jobs)]
    for j, ss in enumerate(succs):
        for k in ss:
            preds[k].append(j)
    try:
        topological_order(preds, [str(i + 1) for i in range(jobs)])
    except NetworkError as exc:
        raise PsplibError(f"{name}: {exc}") from None
    return PsplibInstance(
        name=name,
        durations=durations,
        successors=tuple(succs),
        preds=tuple(tuple(p) for p in preds),
        capacity=capacity,
        demand=demand,
        horizon=horizon,
    )


def read_psplib(path: str | Path) -> PsplibInstance:
    """Read a ``.sm`` file (see :func:`parse_psplib`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise PsplibError(f"{p}: cannot read: {exc.strerror}") from None
    try:
        return parse_psplib(text, p.name)
    except PsplibError as exc:
        raise PsplibError(f"{p}: {exc}") from None


def solve_psplib(inst: PsplibInstance, time_limit_s: float = 60.0, workers: int = 2) -> RcpspSolution:
    """Least makespan of an instance with CP-SAT (see :func:`solve_rcpsp`)."""
    return solve_rcpsp(inst.durations, inst.preds, inst.capacity, inst.demand, time_limit_s, workers)

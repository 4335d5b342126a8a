"""A solver-neutral linear model assembled from labelled blocks of columns and rows.

Variables and constraints are added family by family (`VarBlock`, `RowBlock`,
each with its index arrays, e.g. line/item/month), coefficients as COO
triplets; `matrix()` turns them into the column-wise (CSC) arrays a solver
takes. No solver is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

INF = float("inf")


@dataclass(frozen=True)
class Block:
    """A contiguous range of columns (or rows) with its labels."""

    name: str
    start: int
    size: int
    keys: dict[str, np.ndarray]

    @property
    def index(self) -> np.ndarray:
        """Global positions of the block's entries."""
        return np.arange(self.start, self.start + self.size, dtype=np.int64)


@dataclass
class LinearModel:
    """Columns, rows, COO coefficients and named objectives (cost vectors + offsets)."""

    col_lower: list[np.ndarray] = field(default_factory=list)
    col_upper: list[np.ndarray] = field(default_factory=list)
    col_integer: list[np.ndarray] = field(default_factory=list)
    row_lower: list[np.ndarray] = field(default_factory=list)
    row_upper: list[np.ndarray] = field(default_factory=list)
    coo_row: list[np.ndarray] = field(default_factory=list)
    coo_col: list[np.ndarray] = field(default_factory=list)
    coo_val: list[np.ndarray] = field(default_factory=list)
    vars: dict[str, Block] = field(default_factory=dict)
    rows: dict[str, Block] = field(default_factory=dict)
    objectives: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    offsets: dict[str, float] = field(default_factory=dict)
    n_col: int = 0
    n_row: int = 0

    # -- building ---------------------------------------------------------
    def add_vars(self, name: str, lower: np.ndarray | float, upper: np.ndarray | float,
                 keys: dict[str, np.ndarray], *, integer: bool = False) -> Block:
        """Add a family of columns; `keys` label each (all arrays of the same length)."""
        size = len(next(iter(keys.values())))
        block = Block(name, self.n_col, size, {k: np.asarray(v) for k, v in keys.items()})
        self.col_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (size,)).copy())
        self.col_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (size,)).copy())
        self.col_integer.append(np.full(size, integer))
        self.vars[name] = block
        self.n_col += size
        return block

    def add_rows(self, name: str, lower: np.ndarray | float, upper: np.ndarray | float,
                 keys: dict[str, np.ndarray]) -> Block:
        """Add a family of rows lower <= a.x <= upper; coefficients come with `add_terms`."""
        size = len(next(iter(keys.values())))
        block = Block(name, self.n_row, size, {k: np.asarray(v) for k, v in keys.items()})
        self.row_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (size,)).copy())
        self.row_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (size,)).copy())
        self.rows[name] = block
        self.n_row += size
        return block

    def add_terms(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray | float) -> None:
        """Add coefficients a[rows, cols] += vals (global positions)."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        self.coo_row.append(rows)
        self.coo_col.append(cols)
        self.coo_val.append(np.broadcast_to(np.asarray(vals, dtype=float), rows.shape).copy())

    def add_objective(self, name: str, cols: np.ndarray, coef: np.ndarray | float) -> None:
        """Add cost coefficients to the named objective."""
        cols = np.asarray(cols, dtype=np.int64)
        coef_arr = np.broadcast_to(np.asarray(coef, dtype=float), cols.shape).copy()
        self.objectives.setdefault(name, []).append((cols, coef_arr))

    def add_offset(self, name: str, value: float) -> None:
        """Add a constant to the named objective."""
        self.offsets[name] = self.offsets.get(name, 0.0) + float(value)

    # -- assembling -------------------------------------------------------
    def cost_vector(self, name: str) -> np.ndarray:
        """The dense cost vector of the named objective (zeros if it has no terms)."""
        c = np.zeros(self.n_col)
        for cols, coef in self.objectives.get(name, []):
            np.add.at(c, cols, coef)
        return c

    def bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """col_lower, col_upper, integrality (bool), row_lower, row_upper."""
        def cat(parts: list[np.ndarray], dtype: type = float) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
        return (cat(self.col_lower), cat(self.col_upper), cat(self.col_integer, bool),
                cat(self.row_lower), cat(self.row_upper))

    def matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Column-wise arrays (start, index, value), duplicates summed, zeros dropped."""
        if self.coo_row:
            r = np.concatenate(self.coo_row)
            c = np.concatenate(self.coo_col)
            v = np.concatenate(self.coo_val)
        else:
            r = c = np.zeros(0, dtype=np.int64)
            v = np.zeros(0)
        order = np.lexsort((r, c))
        r, c, v = r[order], c[order], v[order]
        if len(r):
            new = np.ones(len(r), dtype=bool)
            new[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
            heads = np.flatnonzero(new)
            v = np.add.reduceat(v, heads)
            r, c = r[heads], c[heads]
            keep = v != 0.0
            r, c, v = r[keep], c[keep], v[keep]
        start = np.zeros(self.n_col + 1, dtype=np.int64)
        np.cumsum(np.bincount(c, minlength=self.n_col), out=start[1:])
        return start.astype(np.int32), r.astype(np.int32), v

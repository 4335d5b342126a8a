"""Put several plan models into one LinearModel (the first stage and one copy per future)."""

from __future__ import annotations

import numpy as np

from bastion.plan.model import Block, LinearModel


def append_model(dst: LinearModel, src: LinearModel, prefix: str, *,
                 objectives: bool) -> tuple[dict[str, Block], dict[str, Block]]:
    """Append every column and row of `src` to `dst` (names prefixed); returns (vars, rows).

    With `objectives` the source's objectives and offsets are added to `dst`'s
    of the same names; otherwise they are dropped (a future's copy is
    recourse: only the first stage is costed).
    """
    c0, r0 = dst.n_col, dst.n_row
    dst.col_lower.extend(a.copy() for a in src.col_lower)
    dst.col_upper.extend(a.copy() for a in src.col_upper)
    dst.col_integer.extend(a.copy() for a in src.col_integer)
    dst.row_lower.extend(a.copy() for a in src.row_lower)
    dst.row_upper.extend(a.copy() for a in src.row_upper)
    dst.coo_row.extend(r + r0 for r in src.coo_row)
    dst.coo_col.extend(c + c0 for c in src.coo_col)
    dst.coo_val.extend(v.copy() for v in src.coo_val)
    vars_ = {name: Block(prefix + name, b.start + c0, b.size, b.keys) for name, b in src.vars.items()}
    rows = {name: Block(prefix + name, b.start + r0, b.size, b.keys) for name, b in src.rows.items()}
    for b in vars_.values():
        dst.vars[b.name] = b
    for b in rows.values():
        dst.rows[b.name] = b
    dst.n_col += src.n_col
    dst.n_row += src.n_row
    if objectives:
        for name, parts in src.objectives.items():
            for cols, coef in parts:
                dst.add_objective(name, cols + c0, coef)
        for name, value in src.offsets.items():
            dst.add_offset(name, value)
    return vars_, rows


def set_col_bounds(m: LinearModel, block: Block, lower: float | None = None,
                   upper: float | None = None, *, integer: bool | None = None) -> None:
    """Change the bounds (and integrality) of a whole block of `m`'s columns in place."""
    pos = 0
    for k, arr in enumerate(m.col_lower):
        if pos == block.start and len(arr) == block.size:
            if lower is not None:
                m.col_lower[k] = np.full(block.size, lower)
            if upper is not None:
                m.col_upper[k] = np.full(block.size, upper)
            if integer is not None:
                m.col_integer[k] = np.full(block.size, integer)
            return
        pos += len(arr)
    raise KeyError(f"no column family starts at {block.start} with {block.size} columns")

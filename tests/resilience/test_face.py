"""The most-stock stage's optimal face as an LP (resilience/face.py), on a hand-solved LP."""

from __future__ import annotations

import numpy as np

from bastion.plan.model import LinearModel
from bastion.plan.solve import HighsSolver, SolveStatus
from bastion.resilience.face import face_lp, unscaled
from bastion.resilience.tiebreak import Term, settle_on_face


def _lp() -> HighsSolver:
    """min -(x0 + x1) + x2  s.t.  x0 + x1 <= 2,  x0 + x2 >= 0.5,  x0 <= 1.5,  x1 <= 3,  x2 <= 4.

    Optimum -2: every plan with x0 + x1 = 2 and x2 = 0 (x0 in [0.5, 1.5]); x2's reduced cost is
    1, the first row's dual -1, the second row's 0 (slack where x0 > 0.5)."""
    m = LinearModel()
    m.add_vars("x", 0.0, np.array([1.5, 3.0, 4.0]), {"k": np.arange(3)})
    m.add_rows("r", np.array([-np.inf, 0.5]), np.array([2.0, np.inf]), {"k": np.arange(2)})
    m.add_terms(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 2]), np.ones(4))
    solver = HighsSolver(m)
    cost = np.array([-1.0, -1.0, 1.0])
    solver.set_objective(cost)
    return solver


def test_face_fixes_what_the_duals_fix_and_keeps_the_optimal_plans() -> None:
    solver = _lp()
    out = solver.solve(method="primal")
    assert out.status is SolveStatus.OPTIMAL and out.x is not None
    assert out.objective is not None and abs(out.objective + 2.0) < 1e-9
    face = face_lp(solver, out)
    assert face is not None
    assert face.cols.tolist() == [0, 1]  # x2 fixed at 0 (reduced cost 1) and left out
    assert face.x[2] == 0.0
    lo, hi, _, rlo, rhi = face.model.bounds()
    assert lo.tolist() == [0.0, 0.0] and hi.tolist() == [1.5, 3.0]
    # row 0 holds (dual -1): an equality x0 + x1 = 2; row 1 keeps x0 + x2 >= 0.5 (x2's share 0)
    assert rlo[0] == 2.0 and rhi[0] == 2.0
    assert rlo[1] == 0.5 and np.isinf(rhi[1])
    assert np.allclose(face.full(np.array([0.7, 1.3])), [0.7, 1.3, 0.0])


def test_tie_stages_on_the_face_reach_the_lexicographic_optimum() -> None:
    """Among the optimal plans, the most x0 (1.5), then the most x1 (0.5 left): exact."""
    solver = _lp()
    out = solver.solve(method="primal")
    face = face_lp(solver, out)
    assert face is not None
    terms = [Term((0, 0, "a", "x0"), np.array([0]), np.array([1.0])),
             Term((0, 0, "a", "x1"), np.array([1]), np.array([1.0])),
             Term((0, 0, "a", "x2"), np.array([2]), np.array([1.0]))]  # fixed on the face: no stage
    x, solves = settle_on_face(face, terms)
    assert solves <= 2  # x2 is fixed on the face: no stage
    assert np.allclose(x, [1.5, 0.5, 0.0], atol=1e-9)


def test_unscaled_turns_scaling_off_and_back_to_what_it_was() -> None:
    solver = _lp()
    solver.set_option("simplex_scale_strategy", 3)
    back = unscaled(solver)
    assert solver.option("simplex_scale_strategy") == 0
    back()  # the retry from scratch: HiGHS's scaling as it was (once crashed on highspy's (status, value))
    assert solver.option("simplex_scale_strategy") == 3

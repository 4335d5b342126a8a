"""Studies: many variants of one scenario (sweeps, samples, tornado), each plan + simulate
as one task on Dask distributed (a local cluster by default, or a scheduler's address).

    prepared = prepare(scenario, file, text, vary=["suppliers.s.supplies.x.capacity_per_month=800,1000"])
    study = execute(prepared, study_id="study-...", workers=2)

docs/study.md has the user's side; docs/method-study.md the numbers.
"""

from __future__ import annotations

from bastion.study.api import Prepared, execute, prepare
from bastion.study.result import Study
from bastion.study.variants import StudyError

__all__ = ["Prepared", "Study", "StudyError", "execute", "prepare"]

"""One thread per variant inside a Dask worker: the study's parallelism is Dask's alone.

A study runs K variants at once on K worker threads (K processes of one thread on a
local cluster). Left to their defaults, the libraries inside a variant would start
threads of their own on top: HiGHS starts a scheduler with helper threads for each
thread that calls it (one helper on this 2-core machine), the compiled simulator
runs its step on every core, OpenBLAS/OpenMP/numba pools one thread a core. K
variants then run K x (1 + helpers) busy threads on K cores: on the 2-core test
machine a variant alone runs about a fifth of its HiGHS work on a second core, and
two side by side run four threads on two cores (benchmarks/RESULTS-study.md).

`one_thread()` (called at the start of every task, `run_in_worker`) sets the
process's thread variables to 1 and every HiGHS solver made in the process to one
thread (`bastion.plan.solve.THREADS`, the planner's second-thread solve included),
and starts the calling thread's HiGHS scheduler at one thread, so a variant's work
stays on the thread Dask gave it. HiGHS keeps a scheduler per calling thread, sized
by its first solve, and refuses every later solver on that thread asking another
count (model status "Not Set"): a server's worker thread that ran a run (HiGHS's
default) before a variant solved nothing more, the variant and every later run
failing, until `bastion.plan.solve.fit_scheduler` made every solve refit its
thread's scheduler first. A server's run job calls `process_defaults()` first, which
undoes `one_thread()` in the process, so a run runs as `bastion run` does whatever
ran before it on the same worker (docs/server.md, "Where jobs run"). The settings
are the process's: on a worker of several threads, a run and a variant at once share
them (the numbers do not change, only the threads each uses). It changes no number: the plans are the same with one
HiGHS thread as with its default (checked on the reference's variants, and by the
tests that compare a study with the plans made by hand in a process where HiGHS
keeps its default).
"""

from __future__ import annotations

import os
from typing import Any

from bastion.study.task import VariantTask, run_variant

#: Thread-count variables of the libraries a variant may load (numba's: the compiled
#: simulator's step threads, `bastion.simulate.compiled`).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS")

_defaults: dict[str, str | None] | None = None
"""The thread variables as this process had them before its first `one_thread()` (restored by
`process_defaults()`)."""
_default_highs: int | None = None


def _pin_highs() -> None:
    """Start this thread's HiGHS scheduler with one thread (a one-column LP, solved at once), so
    that a solve with HiGHS's default options on this thread stays on it too."""
    from bastion.plan.solve import _new_highs, fit_scheduler

    h = _new_highs()  # with threads=1, solve.THREADS being set
    h.addVar(0.0, 1.0)
    fit_scheduler(1)  # reset if this thread's scheduler was started at another count
    h.run()


def one_thread() -> None:
    """Keep each variant's work on its task's thread (see the module): the thread variables,
    one HiGHS thread for every solver made in this process (the planner's second-thread solve
    included), and this thread's HiGHS scheduler started (or restarted) at that size."""
    global _defaults, _default_highs
    from bastion.plan import solve

    if _defaults is None:
        _defaults = {name: os.environ.get(name) for name in THREAD_VARIABLES}
        _default_highs = solve.THREADS
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    solve.THREADS = 1
    _pin_highs()


def process_defaults() -> None:
    """Undo `one_thread()` in this process (a server's run job, which runs as `bastion run` does,
    whatever ran before it on the same worker): the thread variables as they were, HiGHS's
    default threads (each solve refits its thread's scheduler: `bastion.plan.solve.fit_scheduler`)."""
    from bastion.plan import solve

    if _defaults is None:
        return
    for name, value in _defaults.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    solve.THREADS = _default_highs


def run_in_worker(task: VariantTask) -> dict[str, Any]:
    """`run_variant` on one thread: the function each Dask task runs."""
    one_thread()
    return run_variant(task)


def os_threads() -> int:
    """The threads this process has now (Linux: /proc/self/task; else 0)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # pragma: no cover - not on Linux
        return 0


def thread_cpu_seconds() -> dict[int, float]:
    """CPU seconds of each OS thread of this process so far, by native thread id (Linux; else {})."""
    out: dict[int, float] = {}
    try:
        tids = os.listdir("/proc/self/task")
        tick = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, AttributeError):  # pragma: no cover - not on Linux
        return out
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        out[int(tid)] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return out


def thread_settings() -> dict[str, Any]:
    """What a worker's variants run with (for `client.run` and the tests): the thread
    variables, whether this thread's HiGHS is pinned, and the process's OS threads
    before and after a small HiGHS solve with HiGHS's default options (equal when the
    solve started no helper thread)."""
    import highspy

    core = getattr(highspy, "_core", None)
    before = os_threads()
    h = (getattr(core, "_Highs", None) or highspy.Highs)()
    h.setOptionValue("output_flag", False)
    h.addVar(0.0, 1.0)
    h.run()
    from bastion.plan import solve

    return {"variables": {name: os.environ.get(name) for name in THREAD_VARIABLES},
            "highs_threads": solve.THREADS, "highs_pinned": solve.scheduler_threads() == 1,
            "threads_before_solve": before, "threads_after_solve": os_threads()}

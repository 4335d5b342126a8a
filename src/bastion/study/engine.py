"""The study's task graph on Dask distributed: one task per variant, one code path.

By default a `LocalCluster` of `workers` processes (one thread each; default: every
core) is started and closed around the study; with `scheduler` the study runs on an
existing cluster (`tcp://host:8786`). Results do not depend on which: each task is a
pure function of its variant (text, seed, paths). Each task runs its variant on its
own thread alone (`bastion.study.worker.run_in_worker`: HiGHS and the other libraries
at one thread), so K worker threads use K cores. A worker that dies is retried by
Dask (the scheduler's `distributed.scheduler.allowed-failures`, 3 by default); a
variant whose workers die every time is reported as failed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from bastion.study.task import VariantTask
from bastion.study.worker import run_in_worker

_GC_DIAGNOSIS = threading.Lock()
_gc_diagnosis_held = False


def hold_gc_diagnosis() -> None:
    """Keep Dask's garbage-collection diagnosis on for the life of this process (once).

    Every Dask scheduler or worker started in this process turns `distributed.gc`'s diagnosis on at
    its start and off at its close, by adding and removing a `gc.callbacks` hook. Done from the
    cluster's event-loop thread while another thread of the process is in a full collection (a
    server answering requests beside its job dispatcher), the hook is added between the collection's
    start and stop: `AssertionError` in `FractionalTimer.stop_timing` (a test failed on it once under
    load). Holding one more user of the diagnosis from the first cluster on, its hook is added once
    and never removed, so later clusters only count users (distributed's `enable_gc_diagnosis`).
    """
    global _gc_diagnosis_held
    with _GC_DIAGNOSIS:
        if _gc_diagnosis_held:
            return
        from distributed.gc import enable_gc_diagnosis

        enable_gc_diagnosis()  # type: ignore[no-untyped-call]
        _gc_diagnosis_held = True


@dataclass
class Progress:
    """Where a study stands: variants done of total, per worker, and the time so far."""

    total: int
    done: int = 0
    started: float = field(default_factory=time.perf_counter)
    per_worker: dict[str, int] = field(default_factory=dict)
    workers: int = 0

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    @property
    def left_seconds(self) -> float | None:
        """Time left at the pace so far (None before the first variant is done)."""
        if self.done == 0:
            return None
        return self.elapsed / self.done * (self.total - self.done)


Tell = Callable[[Progress], None]

#: How long to wait for a `--scheduler` to answer.
CONNECT_TIMEOUT = "20s"


class SchedulerError(RuntimeError):
    """The Dask scheduler given cannot be reached or used (nothing ran)."""


def cores() -> int:
    """The cores this process may use (its CPU affinity where known)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def bastion_version() -> str:
    """The Bastion version a worker runs (called on the workers)."""
    from bastion import __version__

    return __version__


def _check_workers(client: Any, scheduler: str) -> None:
    """The cluster has a worker, and every worker runs this version of Bastion."""
    from bastion import __version__

    try:
        client.wait_for_workers(1, timeout=_seconds(CONNECT_TIMEOUT))
    except (TimeoutError, OSError) as error:
        raise SchedulerError(f"--scheduler {scheduler}: no worker joined the cluster ({error})") from None
    try:
        found = client.run(bastion_version)
    except Exception as error:  # a worker that cannot import Bastion
        raise SchedulerError(f"--scheduler {scheduler}: a worker cannot run Bastion: {error}") from None
    other = sorted({f"{v} on {w}" for w, v in found.items() if v != __version__})
    if other:
        raise SchedulerError(f"--scheduler {scheduler}: workers run another Bastion ({'; '.join(other)}); "
                             f"this is {__version__}, and a study needs the same everywhere")


def _seconds(text: str) -> float:
    return float(text.removesuffix("s"))


@contextmanager
def study_client(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A Dask client: on `scheduler`, or on a LocalCluster of `workers` processes started here."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)  # type: ignore[no-untyped-call]
        except (OSError, ValueError, TypeError) as error:
            raise SchedulerError(f"--scheduler {scheduler}: cannot use this Dask scheduler: {error}") from None
        try:
            _check_workers(client, scheduler)
            yield client
        finally:
            client.close()  # type: ignore[no-untyped-call]
        return
    n = max(1, int(workers or cores()))
    hold_gc_diagnosis()
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=n, threads_per_worker=1, processes=True, silence_logs=logging.ERROR,
        dashboard_address="127.0.0.1:0")  # the scheduler always serves HTTP: any free loopback port
    try:
        client = Client(cluster)  # type: ignore[no-untyped-call]
        try:
            yield client
        finally:
            client.close()  # type: ignore[no-untyped-call]
    finally:
        cluster.close()


def failed(task: VariantTask, message: str) -> dict[str, Any]:
    """The result of a variant that produced nothing (a dead worker, a lost connection)."""
    return {"id": task.id, "status": "failed", "message": message, "plan": None, "simulate": None,
            "plan_full": None, "simulate_full": None, "timings": {}}


def run_tasks(tasks: list[VariantTask], *, scheduler: str | None = None, workers: int | None = None,
              tell: Tell | None = None, client: Any = None) -> list[dict[str, Any]]:
    """Run every task on Dask and return their results in the tasks' order.

    `client`: an open Dask client to use (the server's job queue), left open; else one on
    `scheduler` or on a local cluster of `workers`, opened and closed here.
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    if not tasks:
        return []
    results: dict[str, dict[str, Any]] = {}
    progress = Progress(total=len(tasks))
    token = uuid.uuid4().hex[:12]
    with nullcontext(client) if client is not None else study_client(scheduler, workers) as client:
        progress.workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        futures = {
            client.submit(run_in_worker, task, key=f"bastion-variant-{token}-{task.id}", pure=False): task
            for task in tasks
        }
        if tell is not None:
            tell(progress)
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            task = futures[future]
            try:
                result = future.result()
            except KilledWorker as error:
                result = failed(task, f"its worker died every time it ran ({error})")
            except Exception as error:  # lost connection, cancelled: reported, the rest go on
                result = failed(task, f"{type(error).__name__}: {error}")
            results[task.id] = result
            progress.done += 1
            worker = str((result.get("timings") or {}).get("worker") or "?")
            progress.per_worker[worker] = progress.per_worker.get(worker, 0) + 1
            if tell is not None:
                tell(progress)
    return [results[task.id] for task in tasks]

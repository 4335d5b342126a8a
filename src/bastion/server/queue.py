"""The job queue's dispatcher: queued jobs go to Dask, the study engine's cluster.

`Dispatcher` runs in the server process, on a thread of its own. It opens a Dask client, on
the scheduler at `scheduler` (`BASTION_DASK_SCHEDULER` or `bastion serve --scheduler`), or on a
`LocalCluster` of `workers` processes started here (as `bastion study` does), and loops: it
claims queued jobs (oldest first) while fewer jobs are in flight than the cluster has worker
threads, submits each run as one Dask task (`bastion.server.jobs.run_job_task`: the worker
writes the job's progress and result to the store itself), and coordinates each study on a
thread here whose variants are tasks on the same cluster. A job cancelled while in flight has its
Dask future cancelled; its worker also stops at its next progress step.

On stop, the futures in flight are cancelled and the local cluster closed; jobs still running
stay `running` in the store and the next start marks them `interrupted` (`jobs.recover`). The
local workers are given `WORKER_CLOSE_S` to stop (see `close_cluster`).
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

from sqlalchemy import select

from bastion.server import jobs
from bastion.server.db import Database
from bastion.store.server_tables import ServerRun

log = logging.getLogger("bastion.server.queue")

#: The environment variable naming a Dask scheduler for the server's jobs (e.g. tcp://host:8786).
SCHEDULER_ENV = "BASTION_DASK_SCHEDULER"
POLL_S = 0.2
WORKER_CLOSE_S = 1.0
"""How long a local worker process has to stop when the server stops (then it is killed): see `close_cluster`."""


def scheduler_address(configured: str | None = None) -> str | None:
    """The scheduler given, else `$BASTION_DASK_SCHEDULER`, else None (a local cluster)."""
    return configured or os.environ.get(SCHEDULER_ENV) or None


def open_client(stack: ExitStack, scheduler: str | None, workers: int) -> Any:
    """A Dask client on `scheduler`, or on a LocalCluster of `workers` processes (closed with `stack`).

    The local workers are not daemonic, so that a large run may still use the simulator's own
    process pool inside its worker.
    """
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        client = Client(scheduler, timeout="20s")  # type: ignore[no-untyped-call]
        stack.callback(client.close)
        return client
    from bastion.study.engine import hold_gc_diagnosis

    hold_gc_diagnosis()  # see there: Dask's gc hook added once, not at each cluster's start and close
    with dask.config.set({"distributed.worker.daemon": False}):
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            silence_logs=logging.ERROR,
            dashboard_address="127.0.0.1:0",
        )
    stack.callback(close_cluster, cluster)
    client = Client(cluster)  # type: ignore[no-untyped-call]
    stack.callback(client.close)
    return client


def close_cluster(cluster: Any, worker_close_s: float = WORKER_CLOSE_S) -> None:
    """Close a local cluster, its worker processes first, each given `worker_close_s` to stop.

    Dask's own close gives each worker 4 s (its nanny's default 5 s, times 0.8) and kills it only
    then; a worker running a job does not stop before its job ends (the worker waits for its task's
    thread), so every server stop with a job running waited those 4 s (measured: the cluster's close
    took 4.05 s, against 0.15-0.2 s idle). An idle worker stops well within `worker_close_s`; a busy one
    is killed after 0.8 of it, as Dask would after 4 s: its job stays `running` in the store either
    way, and the next start marks it `interrupted`.
    """
    import asyncio

    nannies = list(cluster.workers.values())

    async def close_workers() -> None:
        await asyncio.gather(*(nanny.close(timeout=worker_close_s) for nanny in nannies), return_exceptions=True)

    try:
        cluster.sync(close_workers)
    except Exception as error:  # said in one line (no traceback on a stop); the cluster's close below stops the rest
        log.warning("closing the job queue's workers: %s: %s", type(error).__name__, error)
    cluster.close()


class Dispatcher:
    """Claims queued jobs and runs them on Dask until `stop()`."""

    def __init__(self, db: Database, *, workers: int, scheduler: str | None = None, poll_s: float = POLL_S) -> None:
        self.db = db
        self.url = db.engine.url.render_as_string(hide_password=False)
        self.workers = workers
        self.scheduler = scheduler
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name="bastion-dispatcher", daemon=True)
        self.ready = threading.Event()
        """Set once the Dask client is open (or failed to open: see `error`)."""
        self.error: str | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    def _main(self) -> None:
        with ExitStack() as stack:
            try:
                client = open_client(stack, self.scheduler, self.workers)
            except Exception as error:  # logged; jobs stay queued for a server that can run them
                self.error = f"{type(error).__name__}: {error}"
                log.error("the job queue cannot reach Dask (%s): jobs stay queued", self.error)
                self.ready.set()
                return
            studies = ThreadPoolExecutor(max_workers=4, thread_name_prefix="bastion-study")
            stack.callback(studies.shutdown, wait=False, cancel_futures=True)
            self.ready.set()
            inflight: dict[str, Any] = {}
            try:
                while not self._stop.is_set():
                    try:
                        self._tick(client, studies, inflight)
                    except Exception:  # a lost database or scheduler connection: retried next tick
                        log.exception("job queue")
                    self._stop.wait(self.poll_s)
            finally:
                for future in inflight.values():
                    future.cancel()

    def capacity(self, client: Any) -> int:
        """Jobs in flight at once: the cluster's worker threads (at least 1)."""
        workers = client.scheduler_info(n_workers=-1).get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def _tick(self, client: Any, studies: ThreadPoolExecutor, inflight: dict[str, Any]) -> None:
        for job_id, future in list(inflight.items()):
            if future.done():
                del inflight[job_id]
                self._settle(job_id, future)
        if inflight:  # jobs cancelled (or interrupted) meanwhile: their futures go
            with self.db.session() as session:
                gone = session.execute(
                    select(ServerRun.id).where(ServerRun.id.in_(list(inflight)), ServerRun.status != "running")
                ).scalars()
                for job_id in list(gone):
                    inflight.pop(job_id).cancel()
        capacity = self.capacity(client)
        while len(inflight) < capacity and not self._stop.is_set():
            job = jobs.claim_job(self.db)
            if job is None:
                break
            inflight[job.id] = self._submit(client, studies, job)

    def _submit(self, client: Any, studies: ThreadPoolExecutor, job: jobs.Claimed) -> Any:
        if job.kind == "study":
            from bastion.server.study_jobs import execute_study_job

            return studies.submit(execute_study_job, self.db, job, client)
        return client.submit(
            jobs.run_job_task, self.url, job.id, job.kind, job.attempt, key=f"bastion-job-{job.id}-{job.attempt}",
            pure=False,
        )

    def _settle(self, job_id: str, future: Any) -> None:
        """A future that ended without writing its job's end (its worker died every time, say): failed."""
        if isinstance(future, Future):
            error = future.exception() if not future.cancelled() else None
        else:
            error = future.exception() if future.status == "error" else None
        if error is None:
            return
        with self.db.session() as session:
            attempt = session.execute(select(ServerRun.attempt).where(ServerRun.id == job_id)).scalar_one_or_none()
        if attempt is not None:
            jobs.fail_job(self.db, jobs.Claimed(job_id, "", int(attempt)), f"internal error: {type(error).__name__}: "
                          f"{error}")


def start_job_queue(db: Database, workers: int, configured_scheduler: str | None) -> Dispatcher | None:
    """What a server does once on start, in the one process that runs jobs: jobs left running
    become interrupted (`jobs.recover`), queued ones resume on a started dispatcher; None when
    there is nothing to run them on (no scheduler and no workers: jobs stay queued)."""
    jobs.recover(db)
    scheduler = scheduler_address(configured_scheduler)
    if scheduler is None and workers <= 0:
        return None
    if scheduler is None:  # a local cluster: Dask's gc hook added now, before requests and the dispatcher's thread
        from bastion.study.engine import hold_gc_diagnosis

        hold_gc_diagnosis()
    dispatcher = Dispatcher(db, workers=workers, scheduler=scheduler)
    dispatcher.start()
    return dispatcher

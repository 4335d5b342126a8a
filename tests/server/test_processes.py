"""`bastion serve --processes N`: several request-serving processes, one job queue (processes.py)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.server.live import LiveServer, add_users
from tests.server.test_live import USERS, auth, create, jobs_in, state, stored_runs, submit, until

from bastion.server import jobs, processes
from bastion.server.db import Database
from bastion.server.repository import Caller, Releasability, Runs, Scenarios
from bastion.server.settings import ServerSettings


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"


def test_two_processes_answer_and_run_each_job_exactly_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'procs.sqlite'}"
    add_users(url, *USERS)
    log = tmp_path / "serve.log"
    with LiveServer(url, workers=1, log=log, processes=2) as live:
        token = live.token("ana")
        sid = create(live, token)
        with httpx.Client(base_url=live.base, headers=auth(token), timeout=60) as client:
            for _ in range(20):  # served whichever process takes the connection
                assert client.get(f"/api/v1/scenarios/{sid}").status_code == 200
        submitted = [submit(live, token, sid, paths=10) for _ in range(3)]
        until(lambda: all(state(live, token, rid)["status"] in jobs.FINISHED for rid in submitted))
        assert {state(live, token, rid)["status"] for rid in submitted} == {"done"}
        text = log.read_text(errors="replace")
        workers = {int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", text)}
        assert len(workers) == 2 and all(alive(pid) for pid in workers), text[-3000:]
        assert text.count("Application startup complete.") == 2
    assert live.process.returncode == 0  # a graceful stop (SIGTERM), workers and job queue included
    assert not any(alive(pid) for pid in workers)
    found = jobs_in(url)
    assert set(found) == set(submitted) and all(job.attempt == 1 for job in found.values())  # claimed once each
    assert stored_runs(url) == Counter({f"server:{rid}": 1 for rid in submitted})  # executed and stored once each


def test_workers_stop_when_their_supervisor_is_killed(tmp_path: Path) -> None:
    """SIGKILL leaves the supervisor no chance to stop its workers: they notice and stop themselves."""
    url = f"sqlite:///{tmp_path / 'orphans.sqlite'}"
    add_users(url, *USERS)
    log = tmp_path / "serve.log"
    with LiveServer(url, workers=0, log=log, processes=2) as live:
        assert httpx.get(f"{live.base}/healthz").status_code == 200  # one worker answers: the other may still start

        def started() -> set[int]:
            return {int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", log.read_text())}

        until(lambda: len(started()) == 2, bound_s=120)
        workers = started()
        live.process.send_signal(signal.SIGKILL)
        live.process.wait()
        until(lambda: not any(alive(pid) for pid in workers), bound_s=60)


def test_a_worker_process_serves_requests_but_leaves_the_job_queue_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's application neither recovers jobs (the supervisor did) nor runs a dispatcher."""
    url = f"sqlite:///{tmp_path / 'worker.sqlite'}"
    db = Database(url)
    with db.transaction() as session:
        caller = Caller("ana", "analyst", "LVA", "SECRET")
        text = "bastion: 1\n"
        scenario = Scenarios(session, caller).create("S", text, "0" * 64, "m", Releasability("UNCLASSIFIED", "LVA", ()))
        running = Runs(session, caller).add(scenario, 1, 10, 0)
        running.status, running.started_at = "running", datetime.now(UTC)
        queued = Runs(session, caller).add(scenario, 1, 10, 1)
        ids = (running.id, queued.id)
    db.close()
    processes.export_settings(ServerSettings(database_url=url, max_upload_bytes=12345, workers=3))
    monkeypatch.setenv(processes.SETTINGS_ENV, os.environ.pop(processes.SETTINGS_ENV))
    app = processes.make_app()
    assert app.state.settings.run_jobs is False and app.state.settings.max_upload_bytes == 12345
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert app.state.dispatcher is None
    found = jobs_in(url)
    assert (found[ids[0]].status, found[ids[1]].status) == ("running", "queued")  # untouched
    app.state.db.close()


def test_the_default_is_the_cores_at_most_four() -> None:
    assert processes.default_processes() == max(1, min(4, len(os.sched_getaffinity(0))))


def _accepting(pause_s: float, clients: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], list[object]]:
    """Serve a socket on which `clients` connections already wait with a `WorkerLoop`: (connections
    accepted after the first one was, then after every one was; errors the loop reported). Every
    connection it accepts has TCP_NODELAY (else each answer waited ~40 ms for a delayed ACK)."""
    monkeypatch.setattr(processes, "ACCEPT_PAUSE_S", pause_s)
    loop = processes.WorkerLoop()
    errors: list[object] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    accepted: list[asyncio.BaseTransport] = []
    nodelay: list[int] = []

    class Count(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted.append(transport)
            nodelay.append(transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    async def wait_for(count: int) -> None:
        for _ in range(1000):
            if len(accepted) >= count:
                return
            await asyncio.sleep(0.01)

    async def main() -> list[int]:
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # as uvicorn's supervisor makes it: proto 0
        listening.bind(("127.0.0.1", 0))
        listening.listen(16)
        waiting = [socket.create_connection(listening.getsockname()) for _ in range(clients)]
        server = await loop.create_server(Count, sock=listening)
        await wait_for(1)
        for _ in range(20):  # many turns of the loop: the socket stays readable while connections wait
            await asyncio.sleep(0)
        counts = [len(accepted)]
        await wait_for(clients if pause_s < 1 else 1)
        counts.append(len(accepted))
        server.close()  # while resting, when pause_s is long: resuming later must not touch the closed socket
        await server.wait_closed()
        for transport in accepted:
            transport.close()
        for client in waiting:
            client.close()
        return counts

    try:
        counts = loop.run_until_complete(main())
        assert nodelay and all(nodelay)  # TCP_NODELAY, though asyncio would set it only for proto TCP
        return counts, errors
    finally:
        loop.close()


def test_a_worker_takes_one_waiting_connection_then_leaves_the_next_ones_to_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker processes share the listening socket: one that took every waiting connection kept 20
    keep-alive readers to itself. It takes one, then rests (here longer than the test), so that the
    others take theirs; stopped while resting, it stops cleanly."""
    counts, errors = _accepting(60.0, 3, monkeypatch)
    assert counts == [1, 1] and errors == []


def test_after_its_rest_a_worker_takes_the_connections_still_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    counts, errors = _accepting(0.001, 5, monkeypatch)
    assert counts[1] == 5 and errors == []


def test_worker_loop_checks_the_private_asyncio_methods_it_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve` gives its workers WorkerLoop only where asyncio's private methods have the expected
    arguments; elsewhere asyncio's own loop, with a warning (never a server that cannot accept)."""
    import asyncio.selector_events

    from bastion.server.processes import worker_loop

    assert worker_loop() == "bastion.server.processes:WorkerLoop"
    base = asyncio.selector_events.BaseSelectorEventLoop

    def reordered(self: object, sock: object, protocol_factory: object, sslcontext: object = None,
                  server: object = None, backlog: int = 100) -> None:
        raise AssertionError("never called")

    monkeypatch.setattr(base, "_accept_connection", reordered)
    with pytest.warns(RuntimeWarning, match="asyncio's own loop"):
        assert worker_loop() == "asyncio"
    monkeypatch.delattr(base, "_accept_connection")
    with pytest.warns(RuntimeWarning):
        assert worker_loop() == "asyncio"


def test_a_serving_process_settles_its_heap() -> None:
    """`settle_heap` (a worker's last step before serving, and a single-process `bastion serve`'s) puts
    every object alive out of the collector's reach: a full collection then walks only what came after
    (a worker's 126-145 ms pause, docs/server.md); an object made later is still collected."""
    import gc
    import weakref

    from bastion.server.processes import settle_heap

    try:
        settle_heap()
        frozen = gc.get_freeze_count()
        assert frozen > 1000

        class Cycle:
            pass

        made = Cycle()
        made.me = made  # type: ignore[attr-defined]
        gone = weakref.ref(made)
        del made
        gc.collect()
        assert gone() is None and gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()

"""A real `bastion serve` (uvicorn, Dask local cluster): a restart loses no job; 50 readers and 8 runs at once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import REFERENCE
from tests.server.conftest import scenario_yaml
from tests.server.live import LiveServer, add_users
from tests.store.conftest import BACKENDS, postgres_url  # noqa: F401 (a fixture)

from bastion.server import jobs
from bastion.server.db import Database
from bastion.store.schema import Run
from bastion.store.server_tables import ServerRun

# real servers, started and stopped, running real jobs: run first (tests/conftest.py)
pytestmark = pytest.mark.slow

USERS = (("ana", "analyst", "LVA", "SECRET"), ("est", "viewer", "EST", "SECRET"))
RELEASED = "{level: RESTRICTED, releasable_to: [EST]}"
BIG_PATHS = 100_000


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store: a SQLite file, or a fresh database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'live.sqlite'}"
    found: str = request.getfixturevalue("postgres_url")
    return found


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create(live: LiveServer, token: str, text: str | None = None) -> str:
    yaml_text = scenario_yaml("Live", RELEASED) if text is None else f"releasability: {RELEASED}\n{text}"
    answer = httpx.post(
        f"{live.base}/api/v1/scenarios", json={"yaml": yaml_text, "message": "m"},
        headers=auth(token),
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def submit(live: LiveServer, token: str, sid: str, paths: int) -> str:
    answer = httpx.post(f"{live.base}/api/v1/runs", json={"scenario_id": sid, "paths": paths}, headers=auth(token))
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def state(live: LiveServer, token: str, rid: str) -> dict[str, Any]:
    answer = httpx.get(f"{live.base}/api/v1/runs/{rid}", headers=auth(token), timeout=30)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def until(check: Any, bound_s: float = 300) -> None:
    """Poll `check()` until true; the bound only stops a broken run (not a timing check)."""
    deadline = time.monotonic() + bound_s
    while not check():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)


def jobs_in(url: str) -> dict[str, ServerRun]:
    db = Database(url)
    try:
        with db.session() as session:
            return {r.id: r for r in session.execute(select(ServerRun)).scalars()}
    finally:
        db.close()


def stored_runs(url: str) -> Counter[str]:
    """How many times each run was saved in the run store, by its `scenario_file`."""
    db = Database(url)
    try:
        with db.session() as session:
            return Counter(session.execute(select(Run.scenario_file)).scalars())
    finally:
        db.close()


def test_a_restart_keeps_queued_jobs_and_interrupts_the_running_one(url: str, tmp_path: Path) -> None:
    add_users(url, *USERS)
    log = tmp_path / "serve.log"
    with LiveServer(url, workers=1, log=log) as live:
        token = live.token("ana")
        sid = create(live, token)
        # the reference scenario (120 months) at 100,000 paths: still running when the server stops,
        # however busy the machine (its plan alone takes seconds, and 100,000 paths are simulated after
        # it; the small scenario could end first). Not a million: the schedule stage, waited for below,
        # draws every path and took about 2 s of CPU more at a million.
        big = create(live, token, REFERENCE.read_text(encoding="utf-8"))
        long = submit(live, token, big, paths=BIG_PATHS)  # one worker: this one runs, the next waits
        until(lambda: state(live, token, long)["progress"]["stage"] not in ("", "schedule"))
        queued = submit(live, token, sid, paths=10)
        assert state(live, token, queued)["status"] == "queued"
    found = jobs_in(url)  # stopped (SIGTERM): nothing lost, the states as they were
    assert (found[long].status, found[queued].status) == ("running", "queued")
    with LiveServer(url, workers=1, log=log) as live:
        token = live.token("ana")
        first = state(live, token, long)
        assert first["status"] == "interrupted" and "resubmit" in first["error"]
        until(lambda: state(live, token, queued)["status"] in jobs.FINISHED)
        assert state(live, token, queued)["status"] == "done"
        assert state(live, token, long)["status"] == "interrupted"
        # resubmitted (a new run, same settings), it runs again; cancelled while it runs, it stops and
        # frees its worker for the next job
        answer = httpx.post(f"{live.base}/api/v1/runs/{long}/resubmit", headers=auth(token))
        assert answer.status_code == 202, answer.text
        again = str(answer.json()["id"])
        assert answer.json()["paths"] == BIG_PATHS and again != long
        db = Database(url)
        try:
            until(lambda: state(live, token, again)["progress"]["stage"] not in ("", "schedule"))
            later = submit(live, token, sid, paths=10)
            cancelled = httpx.post(f"{live.base}/api/v1/runs/{again}/cancel", headers=auth(token))
            assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
            until(lambda: state(live, token, later)["status"] in jobs.FINISHED)
            assert state(live, token, later)["status"] == "done"
            assert state(live, token, again)["status"] == "cancelled"
            assert state(live, token, long)["status"] == "interrupted"
            with db.session() as session:
                kept = set(session.execute(select(Run.scenario_file)).scalars())
            assert kept == {f"server:{queued}", f"server:{later}"}  # nothing kept of the cancelled run
        finally:
            db.close()


def test_fifty_readers_and_eight_runs_at_once(url: str, tmp_path: Path) -> None:
    add_users(url, *USERS)
    with LiveServer(url, workers=2, log=tmp_path / "serve.log") as live:
        ana, est = live.token("ana"), live.token("est")
        sid = create(live, ana)
        seed_run = submit(live, ana, sid, paths=10)
        statuses: Counter[int] = Counter()
        errors: list[str] = []
        submitted: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(58)

        def reader(n: int) -> None:
            paths = ["/api/v1/scenarios", f"/api/v1/scenarios/{sid}", f"/api/v1/runs/{seed_run}"]
            with httpx.Client(base_url=live.base, headers=auth(est if n % 2 else ana), timeout=60) as client:
                start.wait()
                for i in range(4):
                    try:
                        code = client.get(paths[(n + i) % 3]).status_code
                    except httpx.HTTPError as error:
                        with lock:
                            errors.append(repr(error))
                        continue
                    with lock:
                        statuses[code] += 1

        def runner(n: int) -> None:
            with httpx.Client(base_url=live.base, headers=auth(ana), timeout=60) as client:
                start.wait()
                answer = client.post("/api/v1/runs", json={"scenario_id": sid, "paths": 10, "seed": n})
                with lock:
                    statuses[answer.status_code] += 1
                    if answer.status_code == 202:
                        submitted.append(str(answer.json()["id"]))

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(50)]
        threads += [threading.Thread(target=runner, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [] and statuses == Counter({200: 200, 202: 8}), (errors, statuses)
        assert len(set(submitted)) == 8
        until(lambda: all(state(live, ana, rid)["status"] in jobs.FINISHED for rid in [*submitted, seed_run]))
        finals = {rid: state(live, ana, rid) for rid in [*submitted, seed_run]}
    assert {f["status"] for f in finals.values()} == {"done"}
    found = jobs_in(url)
    assert len(found) == 9 and all(job.attempt == 1 for job in found.values())  # each taken exactly once
    assert stored_runs(url) == Counter({f"server:{rid}": 1 for rid in found})  # each stored exactly once
    assert sorted(f["seed"] for f in finals.values()) == [0, 0, 1, 2, 3, 4, 5, 6, 7]

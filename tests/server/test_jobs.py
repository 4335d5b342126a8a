"""The job queue's rules: attempts, cancel, resubmit, progress, and a stale worker never overwriting a job."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from tests.server.conftest import Server, scenario_yaml

from bastion.server import jobs
from bastion.store.schema import Run
from bastion.store.server_tables import ServerRun

RELEASED = "{level: RESTRICTED, releasable_to: [EST]}"


def setup(server: Server) -> str:
    server.user("ana", "analyst", "LVA", "SECRET")
    return server.create("ana", scenario_yaml("Jobs", RELEASED))


def queue(server: Server, sid: str, paths: int = 10) -> str:
    answer = server.client.post(
        "/api/v1/runs", json={"scenario_id": sid, "paths": paths}, headers=server.headers("ana")
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def row(server: Server, job_id: str) -> ServerRun:
    with server.db.session() as session:
        found = session.get(ServerRun, job_id)
        assert found is not None
        return found


def stored_runs(server: Server) -> int:
    with server.db.session() as session:
        return int(session.execute(select(func.count()).select_from(Run)).scalar_one())


def test_claims_take_the_oldest_job_once_and_count_attempts(server: Server) -> None:
    sid = setup(server)
    first, second = queue(server, sid), queue(server, sid)
    taken = jobs.claim_job(server.db)
    assert taken == jobs.Claimed(first, "run", 1)
    assert jobs.claim_job(server.db) == jobs.Claimed(second, "run", 1)
    assert jobs.claim_job(server.db) is None
    assert row(server, first).status == "running" and row(server, first).progress_at is not None


def test_cancelling_a_queued_job_keeps_it_from_every_worker(server: Server) -> None:
    sid = setup(server)
    rid = queue(server, sid)
    assert jobs.cancel_job(server.db, rid) == "cancelled"
    assert jobs.work_once(server.db) is False
    state = server.client.get(f"/api/v1/runs/{rid}", headers=server.headers("ana")).json()
    assert state["status"] == "cancelled" and state["finished_at"] is not None
    assert jobs.cancel_job(server.db, "0123456789abcdef") is None


def test_a_running_job_cancelled_stops_at_its_next_step_and_keeps_nothing(server: Server) -> None:
    sid = setup(server)
    rid = queue(server, sid)
    job = jobs.claim_job(server.db)
    assert job is not None
    report = jobs.Reporter(server.db, job)
    report("plan", "start")
    assert (row(server, rid).stage, row(server, rid).step) == ("plan", "start")
    with server.db.transaction() as session:  # the route's transaction: the caller commits
        assert jobs.cancel_job(session, rid) == "cancelled"
    with pytest.raises(jobs.JobStopped):
        report("plan", "done")
    jobs.execute_job(server.db, job)  # a worker still holding the job: its result is not kept
    after = row(server, rid)
    assert after.status == "cancelled" and after.run_id is None and after.report_html is None
    assert stored_runs(server) == 0


def test_a_finished_job_is_not_cancelled(server: Server) -> None:
    sid = setup(server)
    rid = queue(server, sid)
    assert jobs.work_once(server.db)
    assert jobs.cancel_job(server.db, rid) == "done"
    assert row(server, rid).status == "done"


def test_a_worker_left_over_from_a_stopped_server_never_overwrites_the_interrupted_job(
    make_server: Callable[..., Server],
) -> None:
    server = make_server()
    sid = setup(server)
    rid = queue(server, sid)
    stale = jobs.claim_job(server.db)
    assert stale is not None
    assert jobs.recover(server.db) == 1  # the server restarted while the worker still ran
    jobs.execute_job(server.db, stale)
    assert row(server, rid).status == "interrupted" and stored_runs(server) == 0
    # resubmitted: a new attempt runs it; the stale attempt still cannot write
    assert jobs.resubmit_job(server.db, rid) == "queued"
    fresh = jobs.claim_job(server.db)
    assert fresh == jobs.Claimed(rid, "run", 2)
    assert not jobs.write_job(server.db, stale, status="failed")
    jobs.execute_job(server.db, fresh)
    done = row(server, rid)
    assert done.status == "done" and done.stage == "done" and done.error is None and stored_runs(server) == 1


def test_only_interrupted_cancelled_or_failed_jobs_are_resubmitted(server: Server) -> None:
    sid = setup(server)
    queued, cancelled = queue(server, sid), queue(server, sid)
    jobs.cancel_job(server.db, cancelled)
    assert jobs.resubmit_job(server.db, queued) == "queued"  # unchanged
    assert jobs.resubmit_job(server.db, cancelled) == "queued"
    assert row(server, cancelled).error is None and row(server, cancelled).finished_at is None
    assert jobs.resubmit_job(server.db, "0123456789abcdef") is None
    assert jobs.work_once(server.db) and jobs.work_once(server.db) and not jobs.work_once(server.db)
    assert {row(server, r).status for r in (queued, cancelled)} == {"done"}
    assert jobs.resubmit_job(server.db, queued) == "done"


def test_progress_steps_are_thinned_but_every_stage_edge_is_written(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = setup(server)
    rid = queue(server, sid)
    job = jobs.claim_job(server.db)
    assert job is not None
    report = jobs.Reporter(server.db, job)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY_S", 3600.0)
    report("simulate", "start")
    report("simulate", "10 of 100 paths")  # within the interval after the last write: not written
    assert row(server, rid).step == "start"
    report("simulate", "done")
    assert row(server, rid).step == "done"
    monkeypatch.setattr(jobs, "PROGRESS_EVERY_S", 0.0)
    report("resilience", "node 2 of 5")
    assert (row(server, rid).stage, row(server, rid).step) == ("resilience", "node 2 of 5")


def test_an_interrupted_run_resubmitted_is_a_new_run_with_its_settings_that_finishes(server: Server) -> None:
    sid = setup(server)
    server.user("est", "viewer", "EST", "SECRET")
    server.user("ltu", "analyst", "LTU", "SECRET")
    answer = server.client.post(
        "/api/v1/runs",
        json={"scenario_id": sid, "paths": 20, "seed": 7, "confidence": 0.8, "futures": 10},
        headers=server.headers("ana"),
    )
    rid = answer.json()["id"]
    assert jobs.claim_job(server.db) is not None  # a worker takes it ...
    assert jobs.recover(server.db) == 1  # ... and the server restarts while it runs
    assert row(server, rid).status == "interrupted"

    def resubmit(user: str, job: str) -> tuple[int, dict[str, object]]:
        reply = server.client.post(f"/api/v1/runs/{job}/resubmit", headers=server.headers(user))
        return reply.status_code, reply.json()

    assert resubmit("est", rid)[0] == 403  # sees it, may not start runs
    assert resubmit("ltu", rid)[0] == 404  # does not see it: as a missing run
    assert resubmit("ana", "0123456789abcdef")[0] == 404
    code, again = resubmit("ana", rid)
    assert code == 202 and again["id"] != rid and again["status"] == "queued"
    kept = ("scenario_id", "revision", "paths", "seed", "confidence", "futures")
    assert {k: again[k] for k in kept} == {
        "scenario_id": sid, "revision": 1, "paths": 20, "seed": 7, "confidence": 0.8, "futures": 10
    }
    assert row(server, rid).status == "interrupted"  # the old run keeps its state
    assert resubmit("ana", str(again["id"]))[0] == 409  # queued: nothing to resubmit
    assert jobs.work_once(server.db) is True
    assert row(server, str(again["id"])).status == "done"
    assert resubmit("ana", str(again["id"]))[0] == 409  # done: it keeps its result
    audit = server.client.get("/api/v1/audit?action=resubmit-run", headers=server.headers("ana"))
    assert audit.status_code == 403
    server.user("aud", "auditor", "LVA", "SECRET")
    outcomes = [
        (r["object"], r["outcome"])
        for r in server.client.get("/api/v1/audit?action=resubmit-run", headers=server.headers("aud")).json()
        if r["object"] != "run:0123456789abcdef"
    ]
    assert outcomes == [(f"run:{rid}", "forbidden"), (f"run:{rid}", "not-found"), (f"run:{rid}", "ok"),
                        (f"run:{again['id']}", "not-ended"), (f"run:{again['id']}", "done")]


@pytest.mark.parametrize("status", ["failed", "cancelled"])
def test_a_failed_or_cancelled_run_is_resubmitted_but_not_on_an_archived_scenario(server: Server, status: str) -> None:
    from sqlalchemy import update

    sid = setup(server)
    rid = queue(server, sid)
    with server.db.transaction() as session:
        session.execute(update(ServerRun).where(ServerRun.id == rid).values(status=status, error="x"))
    answer = server.client.post(f"/api/v1/runs/{rid}/resubmit", headers=server.headers("ana"))
    assert answer.status_code == 202 and answer.json()["status"] == "queued"
    assert server.client.delete(f"/api/v1/scenarios/{sid}", headers=server.headers("ana")).status_code == 200
    archived = server.client.post(f"/api/v1/runs/{rid}/resubmit", headers=server.headers("ana"))
    assert archived.status_code == 409 and "archived" in archived.json()["detail"]

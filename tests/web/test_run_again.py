"""The run page's "Run again" button on an interrupted, failed or cancelled run (docs/web.md)."""

from __future__ import annotations

from pathlib import Path

from tests.web.test_pages import Browser, _app

from bastion.server import jobs
from bastion.store.server_tables import ServerRun


def test_an_interrupted_run_is_run_again_from_its_page(tmp_path: Path) -> None:
    app, db = _app(tmp_path)
    try:
        ana = Browser(app, "ana")
        sid = ana.new()
        started = ana.post(f"/scenarios/{sid}/runs", paths="8", seed="5", confidence="")
        rid = started.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
        assert 'id="run-again"' not in ana.client.get(f"/runs/{rid}").text  # queued: nothing to run again
        assert jobs.claim_job(db) is not None and jobs.recover(db) == 1  # the server stopped while it ran
        page = ana.client.get(f"/runs/{rid}").text
        assert 'id="run-again"' in page and "interrupted" in page
        vic = Browser(app, "vic")  # a viewer sees the run but gets no button, and the POST is refused
        assert 'id="run-again"' not in vic.client.get(f"/runs/{rid}").text
        assert vic.post(f"/runs/{rid}/resubmit").status_code == 403  # type: ignore[attr-defined]
        eve = Browser(app, "eve")  # another nation: not found
        assert eve.post(f"/runs/{rid}/resubmit").status_code == 404  # type: ignore[attr-defined]
        no_token = ana.client.post(f"/runs/{rid}/resubmit", data={}, follow_redirects=False)
        assert no_token.status_code == 403
        again = ana.post(f"/runs/{rid}/resubmit")
        assert again.status_code == 303  # type: ignore[attr-defined]
        new = again.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
        assert new != rid
        assert jobs.work_once(db)
        with db.transaction() as session:
            old, fresh = session.get(ServerRun, rid), session.get(ServerRun, new)
            assert old is not None and fresh is not None
            assert (old.status, fresh.status, fresh.paths, fresh.seed) == ("interrupted", "done", 8, 5)
        assert 'id="answer-will"' in ana.client.get(f"/runs/{new}").text
    finally:
        db.close()

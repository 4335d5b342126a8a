"""The run form's revision (an earlier revision run later gives the baseline to compare a change
with) and the comparison's names beside codes, without a browser."""

from __future__ import annotations

from sqlalchemy import select
from tests.web.test_pages import Browser, app  # noqa: F401 - the module's store and app fixture

from bastion.server.db import Database
from bastion.server.jobs import work_once
from bastion.server.web.compare_view import catalogue, outputs
from bastion.store.server_tables import ServerRun


def test_the_run_form_runs_an_earlier_revision_for_the_baseline(app: tuple[object, Database]) -> None:  # noqa: F811
    ana = Browser(app[0], "ana")
    sid = ana.new()
    one = ana.client.get(f"/scenarios/{sid}").text
    assert 'id="run-revision"' not in one  # one revision: nothing to choose
    text = ana.client.get(f"/scenarios/{sid}/download.yaml").text
    changed = text.replace("capacity_per_month: 200", "capacity_per_month: 50")
    assert changed != text
    assert ana.post(f"/scenarios/{sid}/yaml", base="1", yaml=changed, message="cut").status_code == 303  # type: ignore[attr-defined]
    page = ana.client.get(f"/scenarios/{sid}").text
    assert '<label for="run-revision">Revision to run</label>' in page
    assert '<option value="2">2 (newest): cut</option>' in page  # the newest first, chosen by default

    bad = ana.post(f"/scenarios/{sid}/runs", paths="5", seed="0", revision="two")
    assert bad.status_code == 422 and "revision: a whole number" in bad.text  # type: ignore[attr-defined]
    assert "aria-invalid=\"true\"" in bad.text  # type: ignore[attr-defined]
    assert ana.post(f"/scenarios/{sid}/runs", paths="5", seed="0", revision="9").status_code == 404  # type: ignore[attr-defined]
    base = ana.post(f"/scenarios/{sid}/runs", paths="5", seed="0", revision="1")
    newest = ana.post(f"/scenarios/{sid}/runs", paths="5", seed="0")
    with app[1].transaction() as session:
        runs = {r.id: r.revision for r in session.execute(select(ServerRun).where(ServerRun.scenario_id == sid))
                .scalars()}
    first = base.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
    second = newest.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
    assert runs == {first: 1, second: 2}
    assert work_once(app[1]) and work_once(app[1])
    compared = ana.client.get(f"/runs/compare?run={first}&run={second}").text
    assert "Army (army), Product (product) by 2027-06: units in the plan" in compared


def test_compare_outputs_name_customers_items_and_nodes() -> None:
    names = catalogue({"plan": {"catalogue": {
        "customers": {"army": {"name": "Army", "priority": 1}},
        "items": {"product": {"name": "Product", "unit": "each"}},
        "suppliers": {"parts-maker": {"name": "Parts maker"}},
    }}})
    assert names == {"customers": {"army": "Army"}, "items": {"product": "Product"},
                     "suppliers": {"parts-maker": "Parts maker"}}
    diff = {"headline": [
        {"key": "targets[army/product/2027-06].planned_units", "a": 1000, "b": 700, "changed": True,
         "delta": -300, "relative": -0.3},
        {"key": "worst_node", "a": "parts-maker", "b": "line-1", "changed": True},
        {"key": "worst_node_ttr_months", "a": 3, "b": 3, "changed": False},
        {"key": "jcl_paths", "a": 40, "b": 40, "changed": False},
    ]}
    rows = outputs(diff, "EUR", names)
    assert [(o.label, o.before, o.after, o.change) for o in rows] == [
        ("Target Army (army), Product (product) by 2027-06: units in the plan", "1,000", "700", "-300 (-30.0%)"),
        ("Most exposed node", "Parts maker (parts-maker)", "line-1", ""),
        ("Most exposed node: time to recover (months)", "3", "3", ""),
        ("Simulated futures behind the joint confidence (count)", "40", "40", ""),
    ]

"""Runs: start one (paths, seed, confidence), its progress (polled by htmx), its page with the
report's content, downloads, and the comparison of two runs."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from bastion.run import STAGES
from bastion.server import run_ops, services
from bastion.server.downloads import xlsx_download
from bastion.server.errors import Invalid
from bastion.server.web import needs
from bastion.server.web.pages import WebRoute, redirect, render, secure
from bastion.server.web.routes_scenarios import posted, scenario_page
from bastion.server.web.session import Web
from bastion.store.server_tables import ServerRun

router = APIRouter(route_class=WebRoute, include_in_schema=False)
FINISHED = ("done", "failed", "interrupted", "cancelled")


class FieldInvalid(Invalid):
    """A run form's value that is wrong: the field it names and what is wrong (shown next to the field)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field


def _int(form: dict[str, Any], name: str, low: int, high: int) -> int:
    try:
        value = int(str(form.get(name, "")).strip().replace(",", ""))
    except ValueError:
        raise FieldInvalid(name, f"{name}: a whole number, please") from None
    if not low <= value <= high:
        raise FieldInvalid(name, f"{name}: between {low:,} and {high:,}")
    return value


def _confidence(form: dict[str, Any]) -> float | None:
    """The form's plan confidence: None when blank (the deterministic plan), else 0 < P < 1."""
    text = str(form.get("confidence", "")).strip()
    if not text:
        return None
    try:
        level = float(text)
    except ValueError:
        raise FieldInvalid("confidence", "confidence: a probability such as 0.9, or blank") from None
    if not 0 < level < 1:  # also refuses nan and inf
        raise FieldInvalid("confidence", "confidence: a probability between 0 and 1 (not 0 or 1), such as 0.9")
    return level


def run_request(form: dict[str, Any]) -> dict[str, Any]:
    """The run form's paths, seed, confidence, futures and revision (None: the newest), checked;
    FieldInvalid names the first wrong one."""
    paths = _int(form, "paths", 1, 1_000_000)
    seed = _int(form, "seed", 0, 2**31 - 1)
    confidence = _confidence(form)
    has_futures = str(form.get("futures", "")).strip()
    futures = _int(form, "futures", 1, services.MAX_FUTURES) if has_futures else services.DEFAULT_FUTURES
    revision = _int(form, "revision", 1, 2**31 - 1) if str(form.get("revision", "")).strip() else None
    return {"paths": paths, "seed": seed, "confidence": confidence, "futures": futures, "revision": revision}


@router.post("/scenarios/{sid}/runs", response_class=HTMLResponse)
async def start(request: Request, web: Web, sid: str) -> Response:
    form = await posted(request, web)
    try:
        asked = run_request(form)
    except FieldInvalid as error:
        kept = {k: str(form.get(k, "")) for k in ("paths", "seed", "confidence", "futures", "revision")}
        return scenario_page(web, sid, status=422, run_error=str(error.detail), run_field=error.field,
                             run_values=kept)
    run = services.start_run(web.ctx, sid, asked["revision"], asked["paths"], asked["seed"], asked["confidence"],
                             asked["futures"])
    return redirect(f"/runs/{run['id']}")


@router.post("/runs/{run_id}/resubmit", response_class=HTMLResponse)
async def resubmit(request: Request, web: Web, run_id: str) -> Response:
    """"Run again" on an interrupted, failed or cancelled run: a new run with its settings (run_ops)."""
    await posted(request, web)
    run = run_ops.resubmit_run(web.ctx, run_id)
    return redirect(f"/runs/{run['id']}")


def _stages(run: ServerRun) -> list[dict[str, str]]:
    """Each stage with its state (done, running, waiting) from the job's current stage."""
    current = run.stage if run.stage in STAGES else None
    out = []
    seen = current is None
    for stage in STAGES:
        if stage == current:
            out.append({"name": stage, "state": "running"})
            seen = True
        else:
            out.append({"name": stage, "state": "waiting" if seen else "done"})
    return out


def _report(record: Any, marking: str) -> dict[str, Any]:
    """The report's content for a stored run (the same functions as the HTML report)."""
    from bastion.report.answer import answers
    from bastion.report.content import HEADLINE_NOTE, derived_tables, headline, missing_notes
    from bastion.report.fmt import section
    from bastion.report.html import html_tables, sections

    run = run_dict(record, marking)
    return {
        "answers": answers(run),
        "headline": headline(run),
        "headline_note": HEADLINE_NOTE if section(run, "plan") and section(run, "simulate") else "",
        "notes": missing_notes(run),
        "sections": sections(run, record.tables),
        "tables": html_tables(run, derived_tables(run)),
    }


def run_dict(record: Any, marking: str) -> dict[str, Any]:
    """A stored run as `Run.to_json()` gives it (what the report reads)."""
    return {
        "scenario": record.scenario_name,
        "scenario_file": record.scenario_file,
        "scenario_hash": record.scenario_hash,
        "classification": marking,
        "seed": record.seed,
        "paths": record.paths,
        "versions": record.versions,
        "timings": record.timings,
        "status": record.status,
        "run_id": record.run_id,
        **record.results,
    }


def _marking(web: Any, run: ServerRun) -> tuple[str, str]:
    s = _scenario(web, run)
    return str(s["marking"]), str(s["name"])


def _scenario(web: Any, run: ServerRun) -> dict[str, Any]:
    return services.get_scenario(web.ctx, run.scenario_id)


@router.get("/runs/compare", response_class=HTMLResponse)
def compare(web: Web, run: list[str] = Query(default=[])) -> Response:  # noqa: B008
    if len(run) != 2:
        raise Invalid("tick exactly two runs to compare")
    first, second = sorted(run, key=lambda r: needs.visible_run(web.ctx, r).created_at)
    d = needs.compare_runs(web.ctx, first, second)
    both = [_scenario(web, needs.visible_run(web.ctx, r)) for r in (first, second)]
    from bastion.server.repository import Releasability
    from bastion.server.web.compare_view import outputs
    from bastion.server.web.pages import DEFAULT_MARKING

    rels = [Releasability(str(r["level"]), str(r["owner"]), tuple(r["releasable_to"]))
            for r in (s["releasability"] for s in both)]
    together = services.combined_marking(rels) or DEFAULT_MARKING  # the two scenarios' content together
    return render("compare.html.j2", web, title="Compare runs", marking=together, d=d, first=first,
                  second=second, outputs=outputs(d, str(d.get("currency", "EUR")), d.get("names")))


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(web: Web, run_id: str) -> Response:
    run = needs.visible_run(web.ctx, run_id)
    marking, name = _marking(web, run)
    record = needs.run_record(web.ctx, run_id)
    report = _report(record, marking) if record is not None else None
    others = [r for r in needs.runs_of(web.ctx, run.scenario_id) if r.id != run.id and r.status == "done"]
    return render("run.html.j2", web, title=f"Run {run_id}", marking=marking, run=run, scenario_name=name,
                  others=others, report=report, stages=_stages(run), finished=run.status in FINISHED,
                  charts=bool(report and report["sections"]))


@router.get("/runs/{run_id}/progress", response_class=HTMLResponse)
def progress(web: Web, run_id: str) -> Response:
    run = needs.visible_run(web.ctx, run_id)
    finished = run.status in FINISHED
    response = render("progress.html.j2", web, run=run, stages=_stages(run), finished=finished)
    if run.status == "done":
        response.headers["HX-Refresh"] = "true"  # the page reloads and shows the report
    return response


@router.get("/runs/{run_id}/report.html")
def report_html(web: Web, run_id: str) -> Response:
    data = services.report(web.ctx, run_id, "html")
    return Response(data, media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="report-{run_id}.html"',
                             "X-Content-Type-Options": "nosniff"})


@router.get("/runs/{run_id}/report.xlsx")
def report_xlsx(web: Web, run_id: str) -> Response:
    data = services.report(web.ctx, run_id, "xlsx")
    return secure(xlsx_download(data, f"report-{run_id}.xlsx"))


@router.get("/runs/{run_id}/run.json")
def run_json(web: Web, run_id: str) -> Response:
    run = needs.visible_run(web.ctx, run_id)
    record = needs.run_record(web.ctx, run_id)
    if record is None:
        raise Invalid(f"no results: the run is {run.status}")
    marking, _ = _marking(web, run)
    web.ctx.record("download-json", f"run:{run_id}", "ok")
    body = json.dumps(run_dict(record, marking), indent=1, ensure_ascii=False)
    return secure(Response(body, media_type="application/json",
                           headers={"Content-Disposition": f'attachment; filename="run-{run_id}.json"'}))

"""Scenario pages: the list (search, filter), new from a starting point, upload, copy, the
scenario's page (summary, revisions, runs), the diff of two revisions, and downloads."""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from rich.console import Console
from starlette.datastructures import UploadFile

from bastion.scenario.errors import ScenarioError
from bastion.server import scenario_input, scenario_ops, services
from bastion.server.downloads import xlsx_download
from bastion.server.errors import Invalid, NotFound
from bastion.server.repository import Releasability
from bastion.server.security import LEVELS
from bastion.server.web import needs
from bastion.server.web.forms import SECTIONS
from bastion.server.web.pages import DEFAULT_MARKING, WebRoute, redirect, render, secure
from bastion.server.web.session import Web, check_csrf

router = APIRouter(route_class=WebRoute, include_in_schema=False)
STATUSES = ("queued", "running", "done", "failed", "interrupted", "cancelled")


@dataclass(frozen=True)
class Starter:
    id: str
    title: str
    help: str


STARTERS = (
    Starter("small-plant", "Small plant (template)", "one line, one bought part, one customer: runs in seconds"),
    Starter("reference", "The reference scenario (Baltic anti-tank mine plant, illustrative)",
            "the worked example of the format: 2 lines, 19 suppliers, 3 customers; a run takes about a minute"),
)


def starter_text(starter: str) -> str:
    if starter == "reference":
        from bastion.cli.scenario_cmds import reference_text

        return reference_text()
    if starter == "small-plant":
        return (resources.files("bastion.server.web") / "starters" / "small-plant.yaml").read_text("utf-8")
    raise NotFound("not found")


def _together(rows: list[needs.ScenarioRow]) -> str:
    """The marking of a page that shows these scenarios together (services.combined_marking: the
    highest level, released to the nations that may see them all); the default when none."""
    rels = [Releasability(r.level, r.owner, r.releasable_to) for r in rows]
    return services.combined_marking(rels) or DEFAULT_MARKING


async def posted(request: Request, web: Any, max_files: int = 0) -> dict[str, Any]:
    """The form's fields, after checking its CSRF token."""
    async with request.form(max_files=max_files, max_fields=5000) as form:
        check_csrf(web.token, form.get("csrf"))
        out: dict[str, Any] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                out[key] = (value.filename or "upload", await value.read())
            else:
                out[key] = value
        return out


@router.get("/scenarios", response_class=HTMLResponse)
def scenarios(web: Web, q: str = "", level: str = "", owner: str = "", status: str = "", welcome: str = "") -> Response:
    return scenarios_page(web, q=q, level=level, owner=owner, status=status, welcome=bool(welcome))


def scenarios_page(web: Any, *, q: str = "", level: str = "", owner: str = "", status: str = "", welcome: bool = False,
                   setup_error: str = "", setup: dict[str, str] | None = None, code: int = 200) -> Response:
    """The scenarios list (search, filter); for an administrator of a server without analysts, the
    first-start form that creates the analyst account (routes_admin.setup_analyst)."""
    rows = needs.scenario_rows(web.ctx)
    if q:
        rows = [r for r in rows if q.casefold() in r.name.casefold()]
    if level:
        rows = [r for r in rows if r.level == level]
    if owner:
        rows = [r for r in rows if r.owner == owner.strip().upper()]
    if status:
        rows = [r for r in rows if r.last_run == status]
    return render("scenarios.html.j2", web, code=code, title="Scenarios",
                  marking=_together(rows), rows=rows, q=q, level=level, owner=owner,
                  status=status, levels=[str(x) for x in LEVELS], statuses=STATUSES, welcome=welcome,
                  first_start=needs.first_analyst_wanted(web.ctx), setup_error=setup_error,
                  setup=setup or {"name": "", "nation": "", "clearance": "UNCLASSIFIED"})


@router.get("/scenarios/new", response_class=HTMLResponse)
def new_page(web: Web) -> Response:
    return render("new.html.j2", web, title="New scenario", starters=STARTERS, problems=[])


def _create(web: Any, parse: Any, message: str) -> Response:
    try:
        made = services.create_scenario(web.ctx, parse, message)
    except Invalid as error:
        problems = [p["text"] for p in error.detail] if isinstance(error.detail, list) else [str(error.detail)]
        return render("new.html.j2", web, code=422, title="New scenario", starters=STARTERS, problems=problems)
    return redirect(f"/scenarios/{made['id']}")


@router.post("/scenarios/new", response_class=HTMLResponse)
async def new_from(request: Request, web: Web) -> Response:
    form = await posted(request, web)
    text = starter_text(str(form.get("starter", "")))
    return _create(web, lambda: scenario_input.from_text(text), str(form.get("message", ""))[:10_000])


@router.post("/scenarios/upload", response_class=HTMLResponse)
async def upload(request: Request, web: Web) -> Response:
    form = await posted(request, web, max_files=1)
    upload = form.get("file")
    if not isinstance(upload, tuple):
        return render("new.html.j2", web, code=422, title="New scenario", starters=STARTERS,
                      problems=["choose a file to upload"])
    name, data = upload
    return _create(web, lambda: scenario_input.from_upload(data, name), str(form.get("message", ""))[:10_000])


@router.post("/scenarios/{sid}/copy", response_class=HTMLResponse)
async def copy(request: Request, web: Web, sid: str) -> Response:
    form = await posted(request, web)
    try:
        made = scenario_ops.copy_scenario(web.ctx, sid, None, str(form.get("message", ""))[:10_000])
    except Invalid as error:
        detail = "; ".join(p["text"] for p in error.detail) if isinstance(error.detail, list) else str(error.detail)
        raise Invalid(f"the copy was not made: {detail}") from None
    return redirect(f"/scenarios/{made['id']}")


def summary(text: str) -> str:
    """What `bastion show` prints for the scenario, as plain text."""
    from bastion.cli.show_view import render_scenario

    scenario = scenario_input.from_text(text).scenario
    out = Console(file=io.StringIO(), width=120, record=True, color_system=None)  # fits 1024 px
    render_scenario(scenario, out)
    return out.export_text()


#: The run form's values on a fresh scenario page.
RUN_DEFAULTS = {"paths": "1000", "seed": "0", "confidence": "", "futures": "200"}


def scenario_page(web: Any, sid: str, *, status: int = 200, run_error: str = "", flash: str = "",
                  share_error: str = "", study_error: str = "", run_field: str = "",
                  run_values: dict[str, str] | None = None) -> Response:
    """The scenario's page; a refused run form shows `run_error` next to `run_field` and keeps `run_values`."""
    s = services.get_scenario(web.ctx, sid)
    revisions = services.list_revisions(web.ctx, sid)
    runs = needs.runs_of(web.ctx, sid)
    studies = needs.runs_of(web.ctx, sid, "study")
    return render("scenario.html.j2", web, code=status, title=s["name"], marking=s["marking"], s=s,
                  revisions=revisions, runs=runs, summary=summary(str(s["yaml"])), sections=SECTIONS,
                  run_error=run_error, run_field=run_field, run_values=run_values or RUN_DEFAULTS, flash=flash,
                  share_error=share_error, levels=[str(x) for x in LEVELS],
                  studies=studies, study_error=study_error)


@router.get("/scenarios/{sid}", response_class=HTMLResponse)
def scenario(web: Web, sid: str, saved: int = 0) -> Response:
    return scenario_page(web, sid, flash=f"Saved as revision {saved}." if saved else "")


@router.get("/scenarios/{sid}/diff", response_class=HTMLResponse)
def diff(web: Web, sid: str, a: int = 1, b: int = 1) -> Response:
    s = services.get_scenario(web.ctx, sid)
    d = needs.revision_diff(web.ctx, sid, a, b)
    return render("diff.html.j2", web, title=f"{s['name']}: diff", marking=s["marking"], name=s["name"], sid=sid, d=d)


def _revision(web: Any, sid: str, revision: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
    s = services.get_scenario(web.ctx, sid)
    rev = services.get_revision(web.ctx, sid, revision or int(s["revision"]))
    return s, rev


@router.get("/scenarios/{sid}/download.yaml")
def download_yaml(web: Web, sid: str, revision: int | None = None) -> Response:
    s, rev = _revision(web, sid, revision)
    web.ctx.record("export-yaml", f"scenario:{sid}@{rev['revision']}", "ok")
    name = f"scenario-{sid}-r{rev['revision']}.yaml"
    header = f"# {s['marking']}\n" if not str(rev["yaml"]).startswith(f"# {s['marking']}") else ""
    return secure(Response(header + str(rev["yaml"]), media_type="application/yaml; charset=utf-8",
                           headers={"Content-Disposition": f'attachment; filename="{name}"'}))


@router.get("/scenarios/{sid}/download.xlsx")
def download_xlsx(web: Web, sid: str, revision: int | None = None) -> Response:
    from bastion.scenario.model import Releasability
    from bastion.xlsxio import build_workbook

    _s, rev = _revision(web, sid, revision)
    try:
        scenario = scenario_input.from_text(str(rev["yaml"])).scenario
    except ScenarioError as error:  # pragma: no cover - stored revisions are valid
        raise Invalid(str(error)) from None
    scenario = scenario.model_copy(update={"releasability": Releasability.model_validate(rev["releasability"])})
    web.ctx.record("export-xlsx", f"scenario:{sid}@{rev['revision']}", "ok")
    name = f"scenario-{sid}-r{rev['revision']}.xlsx"
    return secure(xlsx_download(build_workbook(scenario), name))

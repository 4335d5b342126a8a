"""Editing a scenario: a section at a time in forms, or the whole YAML; saving makes a revision.

Nothing is saved while the loader finds a problem: the form comes back with the input as typed
and each problem next to the field it names (or, in the YAML editor, with its line).
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from bastion.scenario.errors import Problem, ScenarioError
from bastion.scenario.yamltree import TreeError
from bastion.server import scenario_input, services
from bastion.server.errors import Conflict, Forbidden, Invalid, NotFound
from bastion.server.web import forms
from bastion.server.web.pages import WebRoute, redirect, render
from bastion.server.web.routes_scenarios import posted, scenario_page
from bastion.server.web.session import Web, require_role

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _section(section_id: str) -> forms.Section:
    for section in forms.SECTIONS:
        if section.id == section_id:
            return section
    raise NotFound("not found")


def _groups(fields: list[forms.Field], values: list[str]) -> list[tuple[str, list[tuple[int, forms.Field, str]]]]:
    numbered = [(n, f, values[n]) for n, f in enumerate(fields)]
    return [(group, list(items)) for group, items in groupby(numbered, key=lambda x: x[1].group)]


def _form(web: Any, s: dict[str, Any], section: forms.Section, fields: list[forms.Field], values: list[str], *,
          base: int, message: str = "", errors: dict[str, list[str]] | None = None, other: list[str] | None = None,
          status: int = 200) -> Response:
    return render("edit.html.j2", web, code=status, title=f"{s['name']}: {section.title}", marking=s["marking"],
                  name=s["name"], sid=s["id"], section=section, sections=forms.SECTIONS, base=base,
                  groups=_groups(fields, values), errors=errors or {}, other=other or [], message=message)


def _base(web: Any, sid: str, form: dict[str, Any]) -> tuple[dict[str, Any], int, str]:
    """The scenario, the revision the form was made from and its text; 409 when newer ones exist."""
    s = services.get_scenario(web.ctx, sid)
    try:
        base = int(str(form.get("base", "")))
    except ValueError:
        raise Invalid("the form lost its revision number: reload the page") from None
    if base != s["revision"]:
        raise Conflict(f"revision {s['revision']} was saved after you opened this form (from revision {base}): "
                       "reload the page, your change was not saved")
    return s, base, str(s["yaml"])


@router.get("/scenarios/{sid}/edit/{section_id}", response_class=HTMLResponse)
def edit_page(web: Web, sid: str, section_id: str) -> Response:
    section = _section(section_id)
    s = services.get_scenario(web.ctx, sid)
    require_role(web, "analyst", "edit-scenario", "edit scenarios")
    fields = forms.fields(section.id, str(s["yaml"]))
    return _form(web, s, section, fields, [f.value for f in fields], base=int(s["revision"]))


def _invalid(error: Invalid) -> ScenarioError:
    problems = error.detail if isinstance(error.detail, list) else [{"file": "-", "line": 1, "path": "(file)",
                                                                      "message": str(error.detail)}]
    return ScenarioError([Problem(str(p.get("file", "-")), int(str(p.get("line") or 1)), str(p.get("path", "(file)")),
                                  str(p.get("message", ""))) for p in problems])


@router.post("/scenarios/{sid}/edit/{section_id}", response_class=HTMLResponse)
async def edit_save(request: Request, web: Web, sid: str, section_id: str) -> Response:
    section = _section(section_id)
    form = await posted(request, web)
    s, base, text = _base(web, sid, form)
    require_role(web, "analyst", "edit-scenario", "edit scenarios")
    fields = forms.fields(section.id, text)
    values = [str(form.get(f"f{n}", f.value))[:200] for n, f in enumerate(fields)]
    message = str(form.get("message", "")).strip()[:10_000]
    changes = {f.path: forms.scalar(v, f.kind) for f, v in zip(fields, values, strict=True) if v.strip() != f.value}
    keys = {f.key for f in fields}
    if not message:
        return _form(web, s, section, fields, values, base=base, message=message, status=422,
                     other=["Say what changed and why in the message: it stays with the revision."])
    if not changes:
        return _form(web, s, section, fields, values, base=base, message=message, status=422,
                     other=["Nothing changed: no revision saved."])
    new_text = forms.apply(text, changes)
    try:
        saved = services.add_revision(web.ctx, sid, lambda: scenario_input.from_text(new_text), message)
    except Invalid as error:
        web.ctx.session.rollback()  # nothing of the refused save stays (its audit record is committed)
        by_field, other = forms.field_errors(_invalid(error), keys)
        return _form(web, s, section, fields, values, base=base, message=message, errors=by_field, other=other,
                     status=422)
    return redirect(f"/scenarios/{sid}?saved={saved['revision']}")


def _yaml_page(web: Any, s: dict[str, Any], text: str, base: int, message: str = "",
               problems: list[tuple[int, str]] | None = None, status: int = 200) -> Response:
    problems = problems or []
    return render("yaml.html.j2", web, code=status, title=f"{s['name']}: YAML", marking=s["marking"],
                  name=s["name"], sid=s["id"], text=text, base=base, message=message, problems=problems,
                  bad_lines={line for line, _ in problems})


@router.get("/scenarios/{sid}/yaml", response_class=HTMLResponse)
def yaml_page(web: Web, sid: str) -> Response:
    s = services.get_scenario(web.ctx, sid)
    require_role(web, "analyst", "edit-scenario", "edit scenarios")
    return _yaml_page(web, s, str(s["yaml"]), int(s["revision"]))


@router.post("/scenarios/{sid}/yaml", response_class=HTMLResponse)
async def yaml_save(request: Request, web: Web, sid: str) -> Response:
    form = await posted(request, web)
    s, base, _text = _base(web, sid, form)
    require_role(web, "analyst", "edit-scenario", "edit scenarios")
    text = str(form.get("yaml", "")).replace("\r\n", "\n")
    message = str(form.get("message", "")).strip()[:10_000]
    if not message:
        return _yaml_page(web, s, text, base, message, [(1, "say what changed and why in the message")], 422)
    try:
        saved = services.add_revision(web.ctx, sid, lambda: scenario_input.from_text(text), message)
    except Invalid as error:
        return _yaml_page(web, s, text, base, message, forms.yaml_error_lines(_invalid(error)), 422)
    except TreeError as error:  # pragma: no cover - from_text turns these into ScenarioError
        return _yaml_page(web, s, text, base, message, [(error.line, error.message)], 422)
    return redirect(f"/scenarios/{sid}?saved={saved['revision']}")


@router.post("/scenarios/{sid}/releasability", response_class=HTMLResponse)
async def releasability(request: Request, web: Web, sid: str) -> Response:
    """A new revision with the level and nations chosen (the server's rule: the owner nation's analysts)."""
    form = await posted(request, web)
    _s, _base_number, text = _base(web, sid, form)
    level = str(form.get("level", ""))
    message = str(form.get("message", "")).strip()[:10_000] or f"releasability: {level}"
    new_text = forms.set_releasability(text, level, forms.nations(str(form.get("releasable_to", ""))[:400]))
    try:
        saved = services.add_revision(web.ctx, sid, lambda: scenario_input.from_text(new_text), message)
    except Invalid as error:
        problems = "; ".join(p.message if p.path == "(file)" else f"{p.path}: {p.message}"
                             for p in _invalid(error).problems)
        return scenario_page(web, sid, status=422, share_error=f"Not changed: {problems}")
    except Forbidden as error:
        return scenario_page(web, sid, status=403, share_error=f"Not changed: {error.detail}")
    return redirect(f"/scenarios/{sid}?saved={saved['revision']}")

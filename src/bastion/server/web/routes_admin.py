"""Administrators' users page (and the first start's "create your analyst account" form) and
auditors' audit trail page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from bastion.server import session_ops
from bastion.server.errors import Invalid, NotFound
from bastion.server.security import LEVELS, ROLES, secure_cookies
from bastion.server.settings import ServerSettings
from bastion.server.web import needs
from bastion.server.web.pages import WebRoute, redirect, render
from bastion.server.web.routes_scenarios import posted, scenarios_page
from bastion.server.web.session import COOKIE, Web

router = APIRouter(route_class=WebRoute, include_in_schema=False)
AUDIT_FIELDS = (("actor", "Who"), ("action", "Action"), ("object", "Object contains"), ("outcome", "Outcome"),
                ("since", "Since (UTC, e.g. 2026-11-30T00:00)"))


def _users_page(web: Any, *, error: str = "", flash: str = "", status: int = 200) -> Response:
    return render("users.html.j2", web, code=status, title="Users", users=needs.list_users(web.ctx), roles=ROLES,
                  levels=[str(x) for x in LEVELS], error=error, flash=flash)


@router.get("/admin/users", response_class=HTMLResponse)
def users(web: Web, done: str = "") -> Response:
    return _users_page(web, flash=done and f"Saved: {done}.")


@router.post("/admin/users", response_class=HTMLResponse)
async def add(request: Request, web: Web) -> Response:
    form = await posted(request, web)
    name = str(form.get("name", "")).strip()
    try:
        needs.new_user(web.ctx, name, str(form.get("role", "")), str(form.get("nation", "")).strip().upper(),
                       str(form.get("clearance", "")), str(form.get("password", "")))
    except Invalid as error:
        return _users_page(web, error=f"Not added: {error.detail}", status=422)
    return redirect(f"/admin/users?done=user {name} added")


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
async def change(request: Request, web: Web, user_id: int) -> Response:
    form = await posted(request, web)
    needs.lock_users(web.ctx)  # first, before any audit record (the locks' order: users.serialise)
    name = needs.user_name(web.ctx, user_id)
    if name is None:
        raise NotFound("not found")
    try:
        needs.change_user(web.ctx, name, role=str(form.get("role", "")),
                          nation=str(form.get("nation", "")).strip().upper(), clearance=str(form.get("clearance", "")),
                          disabled=form.get("disabled") == "1")
    except Invalid as error:
        return _users_page(web, error=f"Not changed: {error.detail}", status=422)
    return redirect(f"/admin/users?done=user {name}")


@router.post("/setup/analyst", response_class=HTMLResponse)
async def setup_analyst(request: Request, web: Web) -> Response:
    """First start: the administrator creates the analyst account they plan with, and is signed in as it.

    Only while no active analyst exists (else the users page). The account is added as on the users
    page (checked, audited `add-user`); the administrator's session is closed (`logout`) and a session
    of the new analyst opened with the password just given (`login`, the sign-in's own checks)."""
    form = await posted(request, web)
    needs.lock_users(web.ctx)  # two first-start forms at once: the second then sees the first's analyst
    if not needs.first_analyst_wanted(web.ctx):
        return redirect("/admin/users")
    kept = {"name": str(form.get("name", "")).strip(), "nation": str(form.get("nation", "")).strip().upper(),
            "clearance": str(form.get("clearance", ""))}
    password = str(form.get("password", ""))
    try:
        if password != str(form.get("again", "")):
            raise Invalid("the two passwords differ: type the same password twice")
        needs.new_user(web.ctx, kept["name"], "analyst", kept["nation"], kept["clearance"], password)
    except Invalid as error:
        return scenarios_page(web, setup_error=f"Not created: {error.detail}", setup=kept, code=422)
    settings: ServerSettings = request.app.state.settings
    session_ops.close_session(web.ctx, web.token)
    token, _answer = session_ops.open_session(web.ctx, settings, kept["name"], password)
    response = redirect("/scenarios?welcome=1")
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(request),
                        max_age=settings.token_ttl_s, path="/")
    return response


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, web: Web) -> Response:
    filters = {name: request.query_params.get(name, "").strip()[:200] for name, _ in AUDIT_FIELDS}
    page = needs.audit_page(web.ctx, filters)
    return render("audit.html.j2", web, title="Audit trail", page=page, filters=filters, fields=AUDIT_FIELDS)

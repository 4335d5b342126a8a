"""Administrators' users page and auditors' audit trail page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from bastion.server.errors import Invalid, NotFound
from bastion.server.security import LEVELS, ROLES
from bastion.server.web import needs
from bastion.server.web.pages import WebRoute, redirect, render
from bastion.server.web.routes_scenarios import posted
from bastion.server.web.session import Web

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
    named = {u.id: u.name for u in needs.list_users(web.ctx)}
    if user_id not in named:
        raise NotFound("not found")
    try:
        needs.change_user(web.ctx, named[user_id], role=str(form.get("role", "")),
                          nation=str(form.get("nation", "")).strip().upper(), clearance=str(form.get("clearance", "")),
                          disabled=form.get("disabled") == "1")
    except Invalid as error:
        return _users_page(web, error=f"Not changed: {error.detail}", status=422)
    return redirect(f"/admin/users?done=user {named[user_id]}")


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, web: Web) -> Response:
    filters = {name: request.query_params.get(name, "").strip()[:200] for name, _ in AUDIT_FIELDS}
    page = needs.audit_page(web.ctx, filters)
    return render("audit.html.j2", web, title="Audit trail", page=page, filters=filters, fields=AUDIT_FIELDS)

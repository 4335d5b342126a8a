"""Studies (docs/study.md) from the browser: start one on a scenario, watch it, read its table of
variants, download its report, workbook and JSON. The server's study service decides everything."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from bastion.report.fmt import money, pct, units
from bastion.server import study_service
from bastion.server.downloads import xlsx_download
from bastion.server.errors import Invalid
from bastion.server.web.pages import WebRoute, redirect, render, secure
from bastion.server.web.routes_scenarios import posted, scenario_page
from bastion.server.web.session import Web
from bastion.study.result import table_rows

router = APIRouter(route_class=WebRoute, include_in_schema=False)
FINISHED = ("done", "failed", "interrupted", "cancelled")


def _numbers(text: str, name: str, low: float, high: float) -> list[float]:
    out = []
    for part in re.split(r"[\s,;]+", text.strip()):
        if not part:
            continue
        try:
            value = float(part)
        except ValueError:
            raise Invalid(f"{name}: {part!r} is not a number") from None
        if not low < value < high:
            raise Invalid(f"{name}: {part} is not between {low:g} and {high:g}")
        out.append(value)
    return out


def _whole(form: dict[str, Any], name: str, low: int, high: int) -> int:
    try:
        value = int(str(form.get(name, "")).strip().replace(",", ""))
    except ValueError:
        raise Invalid(f"{name}: a whole number, please") from None
    if not low <= value <= high:
        raise Invalid(f"{name}: between {low:,} and {high:,}")
    return value


@router.post("/scenarios/{sid}/studies", response_class=HTMLResponse)
async def start(request: Request, web: Web, sid: str) -> Response:
    form = await posted(request, web)
    try:
        vary = [line.strip() for line in str(form.get("vary", "")).splitlines() if line.strip()][:16]
        tornado = _numbers(str(form.get("tornado", "")), "tornado", 0, 100.000001)
        confidence = _numbers(str(form.get("confidence", "")), "confidence", 0, 1)[:10]
        paths = _whole(form, "paths", 1, 1_000_000)
        seed = _whole(form, "seed", 0, 2**31 - 1)
        if not vary and not tornado and not confidence:
            raise Invalid("nothing to vary: give lines PATH=V1,V2, a tornado percentage or confidence levels")
        spec = {"vary": vary, "sample": None, "tornado": tornado[0] if tornado else None, "confidence": confidence,
                "futures": 200 if confidence else None, "skip_invalid": form.get("skip_invalid") == "1"}
        study = study_service.start_study(web.ctx, sid, None, paths, seed, spec)
    except Invalid as error:
        detail = error.detail
        text = "; ".join(str(p.get("message", p)) for p in detail) if isinstance(detail, list) else str(detail)
        return scenario_page(web, sid, status=422, study_error=f"The study was not started: {text}")
    return redirect(f"/studies/{study['id']}")


def _cell(column: str, value: Any, currency: str) -> tuple[str, bool]:
    """A table cell as shown, and whether it is a number (right-aligned): as the study's own report."""
    if value is None:
        return ("", False)
    if isinstance(value, bool):
        return ("yes" if value else "no", False)
    if not isinstance(value, int | float):
        return (str(value), False)
    if column in ("cost", "deterministic cost", "price of confidence"):
        return (money(value, currency), True)
    if column.endswith(("P(met)", "stderr")):
        return (pct(value, 1), True)
    if column.endswith(": planned units"):
        return (units(value), True)
    return (f"{value:,.4g}" if isinstance(value, float) else f"{value:,}", True)


def _table(data: dict[str, Any]) -> tuple[list[str], list[list[tuple[str, bool]]]]:
    rows = table_rows(data.get("variants") or [])
    headers: list[str] = []
    for row in rows:
        headers.extend(k for k in row if k not in headers and k not in ("message",))
    currency = str(data.get("currency") or "EUR")
    return headers, [[_cell(h, row.get(h), currency) for h in headers] for row in rows]


@router.get("/studies/{study_id}", response_class=HTMLResponse)
def study_page(web: Web, study_id: str) -> Response:
    study = study_service.get_study(web.ctx, study_id)
    data = study_service.study_result(web.ctx, study_id) if study["status"] == "done" else None
    headers, rows = _table(data) if data is not None else ([], [])
    return render("study.html.j2", web, title=f"Study {study_id}", marking=study["marking"] or "UNCLASSIFIED",
                  study=study, data=data, headers=headers, rows=rows, finished=study["status"] in FINISHED)


@router.get("/studies/{study_id}/progress", response_class=HTMLResponse)
def progress(web: Web, study_id: str) -> Response:
    study = study_service.get_study(web.ctx, study_id)
    response = render("study_progress.html.j2", web, study=study, finished=study["status"] in FINISHED)
    if study["status"] == "done":
        response.headers["HX-Refresh"] = "true"
    return response


@router.get("/studies/{study_id}/report.html")
def report_html(web: Web, study_id: str) -> Response:
    data = study_service.study_report(web.ctx, study_id, "html")
    return Response(data, media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="study-{study_id}.html"',
                             "X-Content-Type-Options": "nosniff"})


@router.get("/studies/{study_id}/report.xlsx")
def report_xlsx(web: Web, study_id: str) -> Response:
    data = study_service.study_report(web.ctx, study_id, "xlsx")
    return secure(xlsx_download(data, f"study-{study_id}.xlsx"))


@router.get("/studies/{study_id}/study.json")
def study_json(web: Web, study_id: str) -> Response:
    data = study_service.study_result(web.ctx, study_id)
    return secure(Response(json.dumps(data, indent=1, ensure_ascii=False), media_type="application/json",
                           headers={"Content-Disposition": f'attachment; filename="study-{study_id}.json"'}))

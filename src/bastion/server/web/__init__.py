"""The web app of `bastion serve`: server-rendered pages over the server's services (docs/web.md).

`router` holds every page; the app includes it with one line. Pages, their CSS and scripts are in
this package (htmx and plotly.js vendored): nothing is fetched from outside.
"""

from fastapi import APIRouter

from bastion.server.web import (
    routes_admin,
    routes_auth,
    routes_edit,
    routes_runs,
    routes_scenarios,
    routes_studies,
)

router = APIRouter(include_in_schema=False)
for _part in (routes_auth, routes_scenarios, routes_edit, routes_runs, routes_studies, routes_admin):
    router.include_router(_part.router)

__all__ = ["router"]

"""The console's pages: a server-rendered shell per page (navigation, who is logged in, the CSRF token),
whose content the page's script fills from the control API. Nothing here reads the store: what a page
shows is exactly what the API answers, to the same role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ferry.access import AccessPolicy
from ferry.access.roles import Role, allows

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

#: (key, label, path) of the navigation, in order.
NAV: tuple[tuple[str, str, str], ...] = (
    ("overview", "Overview", "/"),
    ("flows", "Flows", "/flows"),
    ("runs", "Workflow runs", "/runs"),
    ("records", "Records", "/records"),
    ("dead-letters", "Dead letters", "/dead-letters"),
    ("reviews", "Reviews", "/reviews"),
    ("alerts", "Alerts", "/alerts"),
    ("reconciliation", "Reconciliation", "/reconciliation"),
    ("admin", "Admin", "/admin"),
)

#: (path, template, navigation key, title, role needed) of each page; path parameters reach the page's
#: script as data attributes of <main> (`data-id`...).
PAGES: tuple[tuple[str, str, str, str, Role], ...] = (
    ("/", "overview.html", "overview", "Overview", "viewer"),
    ("/flows", "flows.html", "flows", "Flows", "viewer"),
    ("/flows/{name}", "flow.html", "flows", "{name}", "viewer"),
    ("/flows/{name}/designer", "designer.html", "flows", "Designer: {name}", "viewer"),
    ("/runs", "runs.html", "runs", "Workflow runs", "viewer"),
    ("/runs/{id:int}", "run.html", "runs", "Run {id}", "viewer"),
    ("/records", "records.html", "records", "Records", "viewer"),
    ("/records/{sync}/{side}/{id:path}", "record.html", "records", "{id}", "viewer"),
    ("/dead-letters", "dead_letters.html", "dead-letters", "Dead letters", "viewer"),
    ("/dead-letters/{id:int}", "dead_letter.html", "dead-letters", "Dead letter {id}", "viewer"),
    ("/reviews", "reviews.html", "reviews", "Reviews", "viewer"),
    ("/reviews/{id:int}", "review.html", "reviews", "Review {id}", "viewer"),
    ("/alerts", "alerts.html", "alerts", "Alerts", "viewer"),
    ("/reconciliation", "reconciliation.html", "reconciliation", "Reconciliation", "viewer"),
    ("/reconciliation/{id:int}", "reconciliation_one.html", "reconciliation", "Reconciliation {id}", "viewer"),
    ("/admin", "admin.html", "admin", "Admin", "admin"),
)

# Scripts only from this server (Alpine evaluates its attribute expressions, hence 'unsafe-eval'); no
# inline script, so markup that slipped into a value could not run.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def mount_console(app: FastAPI, access: AccessPolicy, *, project: str = "", directory: str = ".") -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    async def page(
        request: Request, template: str, here: str, title: str, *, needs: Role = "viewer", **data: str
    ) -> Response:
        try:
            principal = await access.identify(request)
        except HTTPException:
            principal = None
        if principal is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
        context: dict[str, Any] = {
            "title": title,
            "here": here,
            "user": principal,
            "csrf": principal.csrf or "",
            "project": project,
            "nav": [n for n in NAV if n[0] != "admin" or allows(principal.role, "admin")],
            "data": data,
        }
        if not allows(principal.role, needs):
            context["message"] = f"This page needs the {needs} role; {principal.name} is {principal.role}."
            return _html(templates.TemplateResponse(request, "denied.html", context, status_code=403))
        return _html(templates.TemplateResponse(request, template, context))

    @app.get("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        has_users = bool(await access.people.users())
        return _html(
            templates.TemplateResponse(
                request,
                "login.html",
                {
                    "title": "Log in",
                    "csrf": "",
                    "project": project,
                    "directory": directory,
                    "has_users": has_users,
                },
            )
        )

    for path, template, here, title, needs in PAGES:
        app.add_api_route(path, _page(page, template, here, title, needs), methods=["GET"], include_in_schema=False)


def _page(
    render: Callable[..., Awaitable[Response]], template: str, here: str, title: str, needs: Role
) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        params = {k: str(v) for k, v in request.path_params.items()}
        return await render(request, template, here, title.format(**params), needs=needs, **params)

    return handler


def _html(response: HTMLResponse | Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def _quote(path: str) -> str:
    return quote(path, safe="/")

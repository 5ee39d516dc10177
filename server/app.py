"""create_app(): the process's runtime lives in the lifespan; routers come from each domain."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from server import resources
from server.accounts import pages as account_pages
from server.accounts import routes as account_routes
from server.accounts.credentials import FIRST_PASSWORD_PAGE, PasswordChangeRequired
from server.accounts.service import ensure_bootstrap_admin
from server.apidocs import mount_docs
from server.calendar import pages as calendar_pages
from server.calendar import routes as calendar_routes
from server.config import Settings, get_settings
from server.errors import (
    Invalid,
    NotAuthenticated,
    PantauError,
    TooManyRequests,
    Unavailable,
    validation_detail,
)
from server.feedback import ikm_pages
from server.feedback import pages as feedback_pages
from server.feedback import routes as feedback_routes
from server.middleware import SecurityHeaders
from server.notifications import pages as notification_pages
from server.notifications import routes as notification_routes
from server.pages import help as help_pages
from server.pages import moved as moved_pages
from server.pages import offline as offline_pages
from server.pages import routes as page_routes
from server.pages.deps import sign_in_target, visitor
from server.pages.forms import request_problem
from server.pages.render import render_error
from server.performance import dialog_pages, team_pages
from server.performance import pages as performance_pages
from server.performance import routes as performance_routes
from server.projects import blocker_pages, evidence_pages, evidence_routes, response_pages, work_pages
from server.projects import edit_pages as project_edit_pages
from server.projects import pages as project_pages
from server.projects import routes as project_routes
from server.realtime import routes as realtime_routes
from server.runtime import Runtime

log = logging.getLogger(__name__)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/ws/", "/openapi", "/docs"))


async def page_not_served(request: Request, exc: StarletteHTTPException) -> Response:
    """A page URL no route answers (404), or not with this method (405): the error page, not the API's
    JSON, in the visitor's language and with their header when they are signed in."""
    await visitor(request, request.app.state.runtime)  # their header, when they are signed in
    response = render_error(request, exc.status_code, "")  # Starlette's words are English
    response.headers.update(exc.headers or {})
    return response


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.create(settings)
        await runtime.start()
        # Everything loaded at start-up lives as long as the process: keep it out of the collector's
        # full passes, which otherwise paused 1,000-board fan-out for 100-600 ms (bench/RESULTS.md).
        gc.collect()
        gc.freeze()
        # A request makes thousands of short-lived objects: with room for them to die by reference
        # count before a collection looks at them, collections are rarer and the p99 of a post reaching
        # 1,000 boards dropped from ~30 to ~25 ms (bench/RESULTS.md).
        gc.set_threshold(10_000, 20, 20)
        if settings.bootstrap_admin:
            async with runtime.transaction() as session:
                if await ensure_bootstrap_admin(session, settings.bootstrap_admin):
                    log.info("created the bootstrap admin")
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Pantau API",
        version="1",
        description="Performance-based staff management for the regional government of Bukitintan.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # FastAPI answers a body it cannot parse with 400; Pantau's contract calls bad input 422.
        if exc.status_code == 400:
            return await pantau_error(
                request, Invalid("The request body could not be read: send valid JSON (UTF-8)")
            )
        if _wants_html(request) and not request.url.path.startswith("/static/"):
            return await page_not_served(request, exc)
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    @app.exception_handler(ValidationError)
    async def validation_error(request: Request, exc: RequestValidationError | ValidationError) -> Response:
        """The one answer to input that fails its model (a request's or one a service checks): FastAPI's
        422 shape, valid JSON whatever was sent (NaN included); a page gets the error page instead."""
        if isinstance(exc, ValidationError):
            errors = exc.errors(include_url=False)
        else:
            errors = list(exc.errors())
        detail = validation_detail(errors)
        if _wants_html(request) and errors and all(e.get("loc", ("",))[0] == "path" for e in errors):
            # /people/abc: a page address that names nothing is not found, like any unknown address.
            return render_error(request, 404, "")
        if _wants_html(request):
            # In the page's words, never pydantic's English ("String should have at least 1 character").
            return render_error(request, 422, request_problem(request, errors))
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(PantauError)
    async def pantau_error(request: Request, exc: PantauError) -> Response:
        if _wants_html(request):
            if isinstance(exc, NotAuthenticated):
                # After signing in, back to the page (for a form: the page it was on, not its POST URL).
                target = quote(sign_in_target(request), safe="")
                return RedirectResponse(f"/login?next={target}", status_code=303)
            if isinstance(exc, PasswordChangeRequired):  # signed in with a first password
                return RedirectResponse(FIRST_PASSWORD_PAGE, status_code=303)
            response: Response = render_error(request, exc.status_code, str(exc.detail))
        else:
            headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
            response = JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.get("/healthz", include_in_schema=False)
    async def health(request: Request) -> dict[str, str]:
        """For load balancers: 200 when this process can reach its database, 503 otherwise."""
        runtime: Runtime = request.app.state.runtime
        try:
            async with runtime.read_sessionmaker() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:
            raise Unavailable() from exc
        return {"status": "ok"}

    # Routes are matched one after the other: the projects' first, the busiest (every progress post).
    app.include_router(project_routes.router)
    app.include_router(account_routes.router)
    app.include_router(evidence_routes.router)
    app.include_router(feedback_routes.router)
    app.include_router(performance_routes.router)
    app.include_router(calendar_routes.router)
    app.include_router(notification_routes.router)
    # Before the pages: an old address like /admin/users/baru would otherwise match /admin/users/{user_id}.
    app.include_router(moved_pages.router)
    app.include_router(project_edit_pages.router)  # /projects/new before /projects/{project_id}
    app.include_router(feedback_pages.router)
    app.include_router(ikm_pages.router)
    app.include_router(performance_pages.router)
    app.include_router(dialog_pages.router)
    app.include_router(team_pages.router)
    app.include_router(account_pages.router)
    app.include_router(notification_pages.router)
    app.include_router(calendar_pages.router)
    app.include_router(page_routes.router)
    app.include_router(work_pages.router)
    app.include_router(help_pages.router)
    app.include_router(offline_pages.router)  # /manifest.webmanifest, /sw.js (issue 14)
    app.include_router(project_pages.router)
    app.include_router(blocker_pages.router)
    app.include_router(evidence_pages.router)  # the lead hides an evidence item (issue 14)
    app.include_router(response_pages.router)
    # Board sockets through ASGI (any server but `pantau serve`); last, for its catch-all 404 socket.
    app.include_router(realtime_routes.router)
    mount_docs(app)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=resources.STATIC), name="static")
    return app


app: FastAPI  # declared only: made on first use, by __getattr__


def __getattr__(name: str) -> FastAPI:
    """`server.app:app` for any ASGI server (`uvicorn server.app:app`, gunicorn with uvicorn workers):
    made on first use, with settings from the environment, so that importing this module reads no
    settings and opens nothing. (`pantau serve` and `uvicorn --factory server.app:create_app` call
    create_app themselves.)"""
    if name == "app":
        global app
        app = create_app()
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The installable web app (issue 14): the manifest, the service worker served from the site's root (so
that it may control every page, not only /static/), and the one address the worker's offline queue needs
that a page would otherwise give it: the caller's form token.

The worker itself (web/static/sw.js) and the queue it shares with the pages (web/static/offline/) are
plain static files; nothing here knows what they cache."""

import hashlib
from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from server import resources
from server.accounts import service as accounts
from server.deps import SESSION_COOKIE, SessionDep
from server.pages import i18n

router = APIRouter(include_in_schema=False)

THEME_COLOUR = "#0b57a4"  # app.css --primary: the phone's status bar matches the header's brand mark

MANIFEST = {
    "name": "Pantau",
    "short_name": "Pantau",
    "description": "Pekerjaan saya, pembaruan kemajuan dan bukti dukung, juga tanpa sinyal.",
    "lang": "id",
    "start_url": "/",
    "scope": "/",
    "display": "standalone",
    "background_color": "#ffffff",
    "theme_color": THEME_COLOUR,
    "icons": [
        {
            "src": f"/static/icons/pantau-{size}.png",
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any maskable",
        }
        for size in (192, 512)
    ],
}


@router.get("/manifest.webmanifest")
async def manifest() -> Response:
    """The same for everyone (no personal data): a browser may keep it a day."""
    return JSONResponse(
        MANIFEST,
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=86400"},
    )


STATIC_CACHE_LINE = 'var STATIC = "pantau-static-v1";'


@cache
def worker_script() -> bytes:
    """web/static/sw.js with its static cache named after the static files' content: any changed file
    (a release) changes the worker's bytes, so browsers install the new worker, which fills a new cache
    and drops the old one. Without it, phones would keep answering with last release's scripts first."""
    digest = hashlib.sha256()
    for path in sorted(p for p in resources.STATIC.rglob("*") if p.is_file()):
        digest.update(path.relative_to(resources.STATIC).as_posix().encode())
        digest.update(path.read_bytes())
    script = (resources.STATIC / "sw.js").read_text(encoding="utf-8")
    versioned = f'var STATIC = "pantau-static-{digest.hexdigest()[:12]}";'
    return script.replace(STATIC_CACHE_LINE, versioned, 1).encode()


@router.get("/sw.js")
async def service_worker() -> Response:
    """From the root, not /static/: a worker controls only the pages below its own address. `no-cache`
    makes the browser ask every time, so a new worker reaches phones on their next visit."""
    return Response(
        worker_script(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get("/offline/message")
async def offline_message(request: Request, session: SessionDep, text: str = "") -> Response:
    """A refusal the offline queue got from the API (English, like every API message), in the language
    of the signed-in person's pages, as the pages show the same refusal of a form (i18n.localise_message);
    an unknown message comes back as it was sent."""
    record = await accounts.find_web_session(session, request.cookies.get(SESSION_COOKIE))
    user = await accounts.active_user(session, record.user_id if record else None)
    locale = i18n.choose_locale(
        user_locale=user.locale if user else None,
        cookie=request.cookies.get(i18n.COOKIE),
        accept_language=request.headers.get("accept-language"),
    )
    return JSONResponse({"text": i18n.localise_message(text[:2000], locale)})


@router.get("/offline/session")
async def offline_session(request: Request, session: SessionDep) -> Response:
    """Who this browser is signed in as, and the session's form token, for the offline queue: the service
    worker sends queued updates when no page is open, and the API wants the token (X-CSRF-Token) beside
    the cookie. Safe to answer: only a page of this site can read it (no CORS headers, so another site's
    script gets an opaque answer, and JSON is no script it could include), it is `no-store`, and the
    token is only ever as good as the cookie that the same request already had to carry."""
    record = await accounts.find_web_session(session, request.cookies.get(SESSION_COOKIE))
    user = await accounts.active_user(session, record.user_id if record else None)
    if record is None or user is None:
        return JSONResponse(
            {"detail": "Not signed in"}, status_code=401, headers={"Cache-Control": "no-store"}
        )
    return JSONResponse(
        {"user_id": user.id, "csrf_token": record.csrf_token}, headers={"Cache-Control": "no-store"}
    )

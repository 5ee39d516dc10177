"""Page addresses that moved when the code's names became English. People keep bookmarks and printed
links (the survey's thank-you page, the admin's "new user" form), so the old addresses answer a permanent
redirect to the new ones instead of a 404. The API's addresses never move (API.md)."""

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

router = APIRouter(include_in_schema=False)

# old path → new path; {names} are path parameters carried over.
MOVED = {
    "/admin/users/baru": "/admin/users/new",
    "/admin/import/contoh.csv": "/admin/import/example.csv",
    # The two import steps answer a POST; a reloaded or bookmarked result page starts the import again.
    "/admin/import/periksa": "/admin/import",
    "/admin/import/impor": "/admin/import",
    "/survey/{unit_id}/terima-kasih": "/survey/{unit_id}/thanks",
}


def _redirect_to(new: str) -> Callable[[Request], Awaitable[RedirectResponse]]:
    async def moved(request: Request) -> RedirectResponse:
        target = new.format(**request.path_params)
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(target, status_code=301)

    return moved


for old, new in MOVED.items():
    router.add_api_route(old, _redirect_to(new), methods=["GET"])

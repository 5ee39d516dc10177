"""Interactive API docs at /docs, served entirely by Pantau: government intranets often have no
internet, and the pages' Content-Security-Policy allows no other origin and no inline script."""

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

router = APIRouter(include_in_schema=False)

DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Pantau API v1</title>
<link rel="stylesheet" href="/static/swagger/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="/openapi.json"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
async def docs() -> HTMLResponse:
    return HTMLResponse(DOCS_PAGE)


def mount_docs(app: FastAPI) -> None:
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_path), name="swagger")
    app.include_router(router)

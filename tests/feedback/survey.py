"""Answering the survey as the public does: every answer spends a fresh single-use token for its unit."""

from typing import Any

import httpx


async def survey_token(client: httpx.AsyncClient, unit_id: int) -> str:
    response = await client.get("/api/v1/feedback/token", params={"unit_id": unit_id})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


async def answer(client: httpx.AsyncClient, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    """POST /api/v1/feedback with a fresh token for body's unit (unless the body brings its own)."""
    if "token" not in body:
        body = body | {"token": await survey_token(client, body["unit_id"])}
    return await client.post("/api/v1/feedback", json=body, **kwargs)

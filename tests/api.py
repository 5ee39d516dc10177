"""API calls that tests in several domains make, each insisting that it worked."""

from datetime import date


async def close_milestone(
    client, world, milestone_id: int, quality: int, closed_on: date | None = None
) -> dict:
    """The project lead (world.lead) closes a milestone with a quality score."""
    body = {"quality": quality} | ({"closed_on": closed_on.isoformat()} if closed_on else {})
    response = await client.post(
        f"/api/v1/milestones/{milestone_id}/close", json=body, headers=world.auth(world.lead)
    )
    assert response.status_code == 200, response.text
    return response.json()


async def rate(client, world, user, hasil_kerja: str, perilaku: str, period: str = "2026-11") -> None:
    """An admin (world.admin) rates `user`'s work results and behaviour for `period`."""
    headers, params = world.auth(world.admin), {"period": period}
    response = await client.put(
        f"/api/v1/users/{user.id}/behaviour", params=params, json={"rating": perilaku}, headers=headers
    )
    assert response.status_code == 200, response.text
    response = await client.put(
        f"/api/v1/users/{user.id}/evaluation",
        params=params,
        json={"hasil_kerja": hasil_kerja, "reason": "uji"},
        headers=headers,
    )
    assert response.status_code == 200, response.text

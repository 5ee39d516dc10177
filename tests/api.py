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

"""API calls that tests in several domains make, each insisting that it worked."""

from datetime import date


async def close_milestone(
    client, world, milestone_id: int, quality: int, closed_on: date | None = None
) -> dict:
    """The project lead (world.lead) closes a milestone with a quality score (and the note that scores
    1, 2 and 5 need)."""
    body = {"quality": quality} | ({"closed_on": closed_on.isoformat()} if closed_on else {})
    if quality in (1, 2, 5):
        body["note"] = "Bukti dukung: laporan hasil kerja terlampir"
    response = await client.post(
        f"/api/v1/milestones/{milestone_id}/close", json=body, headers=world.auth(world.lead)
    )
    assert response.status_code == 200, response.text
    return response.json()


def rater_of(world, user):
    """Who rates `user` in the test world (DOMAIN.md §1 "Who rates"): their supervisor, or else the Kepala
    Dinas (world.leader), the leader of the nearest unit above. The two heads of dinas have no rater."""
    if user.id in (world.leader.id, world.sibling_leader.id, world.admin.id):
        raise ValueError(f"{user.name} has no rater in the test world (a head of dinas or the admin)")
    by_id = {u.id: u for u in (world.leader, world.lead, world.member, world.outsider, world.sibling_leader)}
    return by_id[user.supervisor_id] if user.supervisor_id else world.leader


async def rate(client, world, user, hasil_kerja: str, perilaku: str, period: str = "2026-11") -> None:
    """`user`'s rater rates their work results and behaviour for `period`."""
    headers, params = world.auth(rater_of(world, user)), {"period": period}
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

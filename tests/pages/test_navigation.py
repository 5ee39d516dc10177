"""Navigation (issue 13 item 6): a header for every role, help linked from every page, the lead's queue of
milestones reported at 100% on the home page, "Tim saya", and the HTML 404 for page URLs nobody serves."""

import re

from tests.web import log_in


def nav_links(html: str) -> dict[str, str]:
    """The main navigation's links: {label: href}, with `*` after a label marked aria-current="page"."""
    nav = re.search(r'<nav class="site-nav[^"]*"[^>]*>(.*?)</nav>', html, re.S)
    assert nav, "the page has no main navigation"
    links = {}
    for attrs, label in re.findall(r"<a ([^>]*)>(.*?)</a>", nav.group(1), re.S):
        href = re.search(r'href="([^"]*)"', attrs).group(1)
        label = re.sub(r"<[^>]+>", "", label).strip()
        links[label + ("*" if 'aria-current="page"' in attrs else "")] = href
    return links


async def test_staff_get_home_their_performance_help_their_account_and_sign_out(client, world):
    await log_in(client, world.outsider)
    html = (await client.get("/")).text
    assert nav_links(html) == {
        "Beranda*": "/",
        "Kinerja saya": f"/people/{world.outsider.id}",
        "Bantuan": "/help",
    }
    assert re.search(rf'<a class="site-user__name" href="/account/password"[^>]*>{world.outsider.name}', html)
    assert 'action="/logout"' in html and ">Keluar<" in html
    assert 'action="/language"' in html, "the language switch stays"
    assert "Menu admin" not in html


async def test_staff_who_supervise_someone_get_tim_saya(client, world):
    await log_in(client, world.lead)  # a staff member, the member's supervisor
    html = (await client.get("/")).text
    assert nav_links(html)["Tim saya"] == "/team"
    assert world.member.name in (await client.get("/team")).text


async def test_a_leader_gets_the_board_their_team_and_the_distribution(client, world):
    await log_in(client, world.leader)
    html = (await client.get("/team")).text
    assert nav_links(html) == {
        "Beranda": "/",
        "Papan unit": f"/board/unit/{world.dinas.id}",
        "Tim saya*": "/team",
        "Distribusi predikat": f"/units/{world.dinas.id}/distribution",
        "Kinerja saya": f"/people/{world.leader.id}",
        "Bantuan": "/help",
    }
    board = (await client.get(f"/board/unit/{world.dinas.id}")).text
    assert "Papan unit*" in nav_links(board)


async def test_an_admin_gets_a_menu_of_every_admin_page(client, world):
    await log_in(client, world.admin)
    html = (await client.get("/admin/users")).text
    links = nav_links(html)
    assert {"Beranda", "Bantuan", "Pengguna*"} <= set(links) and "Kinerja saya" not in links
    assert "Tim saya" not in links
    menu = re.search(r'<details class="site-menu site-menu--here">\s*<summary>Menu admin</summary>', html)
    assert menu, "the admin menu is marked as where the admin is"
    for href in (
        "/admin/units",
        "/admin/users",
        "/admin/import",
        "/admin/periods",
        "/admin/holidays",
        "/admin/survey-answers",
        "/admin/history",
    ):
        assert href in links.values(), href
        assert (await client.get(href)).status_code == 200, href


async def test_the_help_page_keeps_a_signed_in_readers_header(client, world):
    await log_in(client, world.lead)
    links = nav_links((await client.get("/help")).text)
    assert links["Bantuan*"] == "/help" and links["Beranda"] == "/" and "Kinerja saya" in links
    client.cookies.clear()
    anonymous = await client.get("/help")
    assert anonymous.status_code == 200 and "site-user__name" not in anonymous.text


async def test_help_is_linked_from_the_public_pages(client, world):
    for path in ("/login", f"/survey/{world.dinas.id}"):
        html = (await client.get(path)).text
        assert nav_links(html) == {"Bantuan": "/help"}, path
        assert 'class="site-user"' not in html
    assert nav_links((await client.get("/help")).text) == {"Bantuan*": "/help"}


async def post(client, world, user, project_id, milestone_id, pct, note=None):
    body = {"milestone_id": milestone_id, "progress_pct": pct} | ({"note": note} if note else {})
    response = await client.post(
        f"/api/v1/projects/{project_id}/updates", json=body, headers=world.auth(user)
    )
    assert response.status_code == 201, response.text


async def test_the_lead_sees_milestones_reported_at_100_percent_until_closed(client, world, setup):
    project, milestone = setup.project, setup.milestone
    await post(client, world, world.member, project.id, milestone.id, 100)
    await log_in(client, world.lead)
    html = (await client.get("/")).text
    queue = re.search(r'<section aria-labelledby="lead-queue-title".*?</section>', html, re.S)
    assert queue, "the lead's home shows the queue"
    assert milestone.title in queue.group(0) and world.member.name in queue.group(0)
    assert f'href="/projects/{project.id}#milestone-{milestone.id}"' in queue.group(0)
    assert setup.other_milestone.title not in queue.group(0)

    close = await client.post(
        f"/api/v1/milestones/{milestone.id}/close", json={"quality": 4}, headers=world.auth(world.lead)
    )
    assert close.status_code == 200
    assert "lead-queue-title" not in (await client.get("/")).text


async def test_the_queue_is_the_leads_own_and_follows_the_milestone_back_below_100(client, world, setup):
    project, milestone = setup.project, setup.milestone
    await post(client, world, world.member, project.id, milestone.id, 100)
    await log_in(client, world.member)
    assert "lead-queue-title" not in (await client.get("/")).text, "the assignee leads nothing"
    await post(client, world, world.member, project.id, milestone.id, 80, note="Masih ada revisi dari bidang")
    client.cookies.clear()
    await log_in(client, world.lead)
    assert "lead-queue-title" not in (await client.get("/")).text


async def test_tim_saya_lists_the_people_and_the_pending_evaluations(client, world):
    await log_in(client, world.leader)
    response = await client.get("/team")
    assert response.status_code == 200
    html = response.text
    for person in (world.lead, world.outsider):
        assert f'href="/people/{person.id}?period=' in html and person.name in html
        assert f'href="/people/{person.id}/evaluation?period=' in html
    assert world.member.name not in html, "the member is the lead's to rate"
    assert "Menunggu penilaian" in html


async def test_tim_saya_explains_an_empty_team(client, world):
    await log_in(client, world.member)
    html = (await client.get("/team")).text
    assert "Belum ada pegawai yang Anda nilai" in html


async def test_tim_saya_needs_a_sign_in(client):
    response = await client.get("/team")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fteam"


async def test_unknown_admin_and_unit_urls_get_the_404_page(client, world):
    await log_in(client, world.admin)
    for path in ("/admin/tidak-ada", "/units/abc/distribution", "/people/abc", "/board/unit/abc", "/team/x"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert (
            response.headers["content-type"].startswith("text/html")
            and "Halaman tidak ditemukan" in response.text
        )


async def test_a_wrong_method_on_a_page_url_gets_the_error_page(client, world):
    await log_in(client, world.leader)
    for path in ("/team", f"/people/{world.lead.id}"):
        response = await client.delete(path)
        assert response.status_code == 405 and response.headers["content-type"].startswith("text/html"), path

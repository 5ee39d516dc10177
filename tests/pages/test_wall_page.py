"""The unit board as the server draws it (no JavaScript): the wall-screen layout (?layout=wall), the units
above and below (breadcrumbs, sub-unit links), and the open blockers listed first with their age and an
acknowledge form that works as a plain form post."""

import re

from server.pages.unit_board import PAGE_SECONDS, page_seconds
from tests import factories
from tests.web import csrf_of, log_in


async def _post_update(client, world, setup, blockers: str | None = None, note: str = "Berkas diverifikasi"):
    body = {"milestone_id": setup.milestone.id, "progress_pct": 30, "note": note, "blockers": blockers}
    response = await client.post(
        f"/api/v1/projects/{setup.project.id}/updates", json=body, headers=world.auth(world.member)
    )
    assert response.status_code == 201, response.text
    return response.json()


def _section(html: str, element: str, marker: str) -> str:
    match = re.search(rf"<{element}[^>]*{marker}[^>]*>(.*?)</{element}>", html, re.S)
    assert match, f"no <{element} {marker}> on the page"
    return match.group(1)


async def test_wall_layout_has_pager_clock_activity_strip_and_its_script(client, world, setup):
    await _post_update(client, world, setup, note="Rapat teknis selesai")
    await log_in(client, world.leader)

    wall = (await client.get(f"/board/unit/{world.dinas.id}?layout=wall&page_seconds=9")).text
    assert 'class="board-page wall-page"' in wall
    assert 'id="pager"' in wall and 'id="clock-time"' in wall and 'id="live"' in wall
    assert re.search(r'id="clock-time">\d\d\.\d\d</time>', wall)
    assert 'data-page-seconds="9"' in wall
    assert '<script src="/static/wall.js" defer></script>' in wall
    strip = _section(wall, "ol", 'id="activity"')
    assert "Anggota Tim" in strip and setup.project.name in strip and "Rapat teknis selesai" in strip
    # Links to other boards keep the wall layout and its pace.
    assert f'href="/board/unit/{world.bidang.id}?layout=wall&amp;page_seconds=9"' in wall
    assert f'href="/board/unit/{world.dinas.id}">' in wall  # back to the ordinary board

    board = (await client.get(f"/board/unit/{world.dinas.id}")).text
    assert "wall-page" not in board and "/static/wall.js" not in board and 'id="activity"' not in board
    assert f'href="/board/unit/{world.dinas.id}?layout=wall"' in board  # the kiosk switch
    # The board's own data now says how long a change stays highlighted (long enough for a wall).
    assert '"highlight_seconds": 12' in board


def test_page_seconds_is_brought_into_range():
    assert page_seconds(None) == page_seconds("abc") == page_seconds("") == PAGE_SECONDS
    assert page_seconds("1") == 5 and page_seconds("30") == 30 and page_seconds("99999") == 600


async def test_breadcrumbs_link_only_the_boards_the_viewer_may_see_and_sub_units_drill_down(
    client, runtime, world, setup
):
    async with runtime.transaction() as db:
        seksi = await factories.make_unit(db, name="Seksi Identitas", parent_id=world.bidang.id)
        bidang_leader = await factories.make_user(db, unit=world.bidang, role="leader", name="Kabid")
        await factories.make_project(db, by=world.admin, unit=seksi, lead=world.lead, name="Proyek Seksi")

    await log_in(client, world.leader)
    html = (await client.get(f"/board/unit/{world.bidang.id}")).text
    crumbs = _section(html, "nav", 'class="crumbs"')
    assert f'<a href="/board/unit/{world.dinas.id}">{world.dinas.name}</a>' in crumbs
    assert re.search(r'aria-current="page">Bidang Pelayanan<', crumbs)
    sub_units = _section(html, "nav", 'class="subunits"')
    assert f'href="/board/unit/{seksi.id}"' in sub_units and "Seksi Identitas" in sub_units
    assert re.search(r'Seksi Identitas <span class="count">1</span>', sub_units)

    # The dinas board: its sub-unit (bidang) counts the projects of the bidang and of the seksi below it.
    html = (await client.get(f"/board/unit/{world.dinas.id}")).text
    assert re.search(
        r'Bidang Pelayanan <span class="count">2</span>', _section(html, "nav", 'class="subunits"')
    )

    # A leader of the bidang sees the dinas named above them, but not linked (its board is not theirs).
    client.cookies.clear()
    await log_in(client, bidang_leader)
    crumbs = _section((await client.get(f"/board/unit/{world.bidang.id}")).text, "nav", 'class="crumbs"')
    assert world.dinas.name in crumbs and f"/board/unit/{world.dinas.id}" not in crumbs


async def test_open_blockers_are_listed_first_with_age_and_acknowledged_by_a_form_post(client, world, setup):
    update = await _post_update(client, world, setup, blockers="Printer blanko rusak")
    await log_in(client, world.leader)
    for path in (f"/board/unit/{world.dinas.id}", f"/board/unit/{world.dinas.id}?layout=wall"):
        html = (await client.get(path)).text
        # The blocker list comes before the project cards.
        assert html.index('id="blocker-list"') < html.index('id="cards"')
        listed = _section(html, "ol", 'id="blocker-list"')
        assert "Printer blanko rusak" in listed and setup.project.name in listed
        assert re.search(r"terbuka \d+ menit", listed)
        assert f'action="/updates/{update["id"]}/blocker/acknowledge"' in listed

    html = (await client.get(f"/board/unit/{world.dinas.id}?layout=wall")).text
    form = {"csrf_token": csrf_of(html), "back": f"/board/unit/{world.dinas.id}?layout=wall"}
    response = await client.post(f"/updates/{update['id']}/blocker/acknowledge", data=form)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/board/unit/{world.dinas.id}?layout=wall"

    listed = _section((await client.get(response.headers["location"])).text, "ol", 'id="blocker-list"')
    assert "Printer blanko rusak" in listed and "Diketahui oleh Kepala Dinas" in listed
    # Acknowledged: still listed (until it is resolved), but the button is gone.
    assert re.search(r'<form[^>]*blocker/acknowledge"[^>]*hidden', listed)


async def test_board_without_blockers_says_so(client, world, setup):
    await log_in(client, world.leader)
    html = (await client.get(f"/board/unit/{world.dinas.id}")).text
    assert re.search(r'id="blockers-none">Tidak ada kendala terbuka\.<', html)
    assert re.search(r'id="blocker-count">0<', html)

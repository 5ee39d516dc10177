"""The project burn-up: scope and completion over time, rebuilt from milestones and their history."""

import re
from datetime import UTC, date, datetime, timedelta

from server import clock
from server.projects import service as projects
from server.projects.burnup import MilestoneFacts, Reschedule, compute_burnup, project_burnup
from server.projects.models import MilestoneClose, MilestoneReschedule, Project
from tests import factories
from tests.web import sign_in

START, DUE, TODAY = date(2026, 11, 2), date(2026, 11, 30), date(2026, 11, 20)


def _facts(id_, weight, created_on, closed_on=None):
    return MilestoneFacts(
        id=id_, title=f"Tonggak {id_}", weight=weight, created_on=created_on, closed_on=closed_on
    )


def test_a_milestone_added_later_raises_scope_on_its_creation_date():
    burnup = compute_burnup(
        [_facts(1, 3, date(2026, 11, 2)), _facts(2, 2, date(2026, 11, 10))],
        [],
        start=START,
        due=DUE,
        today=TODAY,
    )
    assert burnup.on(date(2026, 11, 9)) == (3, 0)
    assert burnup.on(date(2026, 11, 10)) == (5, 0)
    assert [(e.kind, e.milestone_id, e.on) for e in burnup.annotations] == [("added", 2, date(2026, 11, 10))]
    assert burnup.scope == 5 and burnup.done == 0


def test_closing_raises_completion_on_its_close_date():
    burnup = compute_burnup(
        [_facts(1, 3, date(2026, 11, 2), closed_on=date(2026, 11, 12)), _facts(2, 1, date(2026, 11, 2))],
        [],
        start=START,
        due=DUE,
        today=TODAY,
    )
    assert burnup.on(date(2026, 11, 11)) == (4, 0)
    assert burnup.on(date(2026, 11, 12)) == (4, 3)
    assert [s.pct for s in burnup.steps] == [0.0, 75.0]
    assert burnup.annotations == []  # milestones planned on the first day are the baseline, not "added"


def test_work_entered_after_it_was_done_counts_from_its_creation():
    """Closed on a date before the milestone existed: completion never runs ahead of scope."""
    burnup = compute_burnup(
        [_facts(1, 2, date(2026, 11, 2)), _facts(2, 1, date(2026, 11, 15), closed_on=date(2026, 11, 5))],
        [],
        start=START,
        due=DUE,
        today=TODAY,
    )
    assert burnup.on(date(2026, 11, 5)) == (2, 0)
    assert burnup.on(date(2026, 11, 15)) == (3, 1)


def test_a_reschedule_appears_as_an_annotation_with_its_reason():
    moved = Reschedule(1, date(2026, 11, 14), date(2026, 11, 16), date(2026, 11, 23), "Menunggu data desa")
    burnup = compute_burnup([_facts(1, 2, date(2026, 11, 2))], [moved], start=START, due=DUE, today=TODAY)
    (note,) = burnup.annotations
    assert (note.kind, note.on, note.old_due, note.new_due, note.reason) == (
        "rescheduled",
        date(2026, 11, 14),
        date(2026, 11, 16),
        date(2026, 11, 23),
        "Menunggu data desa",
    )
    assert burnup.on(date(2026, 11, 14)) == (2, 0)  # a move changes neither scope nor completion
    (marker,) = burnup.chart.markers
    assert marker.number == 1 and marker.event == note


def test_chart_draws_step_lines_up_to_today_within_the_project_span():
    burnup = compute_burnup(
        [_facts(1, 4, date(2026, 11, 2), closed_on=date(2026, 11, 16))], [], start=START, due=DUE, today=TODAY
    )
    chart = burnup.chart
    assert (burnup.start, burnup.end, burnup.as_of) == (START, DUE, TODAY)
    assert chart.scope_path.startswith(f"M {chart.left} {chart.bottom}")
    assert chart.scope_path.count("V") == 1 and chart.done_path.count("V") == 1
    assert chart.today_x is not None and chart.due_x == chart.right
    assert chart.end_x == chart.today_x
    assert [t.label for t in chart.y_ticks][0] == "0" and chart.y_ticks[-1].at == chart.top


def test_no_milestones_means_no_chart():
    burnup = compute_burnup([], [], start=START, due=DUE, today=TODAY)
    assert burnup.chart is None and burnup.steps == [] and burnup.scope == 0


async def test_burnup_is_rebuilt_from_the_history(world, runtime):
    clock.freeze(datetime(2026, 11, 3, 2, tzinfo=UTC))
    async with runtime.transaction() as db:
        project = await factories.make_project(
            db, by=world.admin, unit=world.bidang, lead=world.lead, start_date=START, due_date=DUE
        )
        first = await factories.make_milestone(
            db, project=project, lead=world.lead, weight=3, due_date=date(2026, 11, 12)
        )
    clock.freeze(datetime(2026, 11, 9, 2, tzinfo=UTC))
    async with runtime.transaction() as db:
        later = await factories.make_milestone(
            db, project=project, lead=world.lead, weight=2, due_date=date(2026, 11, 25)
        )
        await projects.reschedule_milestone(
            db,
            by=world.lead,
            milestone_id=first.id,
            data=MilestoneReschedule(due_date=date(2026, 11, 18), reason="Server dinas rusak"),
        )
    clock.freeze(datetime(2026, 11, 17, 2, tzinfo=UTC))
    async with runtime.transaction() as db:
        await projects.close_milestone(
            db, by=world.lead, milestone_id=first.id, data=MilestoneClose(quality=4)
        )
        burnup = await project_burnup(db, await db.get(Project, project.id))
    assert burnup.on(date(2026, 11, 8)) == (3, 0)
    assert burnup.on(date(2026, 11, 9)) == (5, 0)
    assert burnup.on(date(2026, 11, 17)) == (5, 3)
    assert [(e.kind, e.milestone_id) for e in burnup.annotations] == [
        ("added", later.id),
        ("rescheduled", first.id),
    ]
    assert burnup.annotations[1].reason == "Server dinas rusak"
    assert burnup.annotations[1].old_due == date(2026, 11, 12)


async def test_project_page_shows_the_burnup_svg_and_its_table(client, world, runtime, setup):
    async with runtime.transaction() as db:
        await projects.reschedule_milestone(
            db,
            by=world.lead,
            milestone_id=setup.milestone.id,
            data=MilestoneReschedule(
                due_date=setup.milestone.due_date + timedelta(days=3), reason="Cuti bersama"
            ),
        )
    await sign_in(client, world.member)
    html = (await client.get(f"/projects/{setup.project.id}")).text
    svg = re.search(r'<svg class="burnup__svg".*?</svg>', html, re.S)
    assert svg, "no burn-up chart on the project page"
    assert re.search(r'<path class="burnup__scope" d="M [\d.]+ [\d.]+ H', svg.group(0))
    assert 'class="burnup__done"' in svg.group(
        0
    ) and 'class="burnup__marker burnup__marker--rescheduled"' in svg.group(0)
    assert "Cuti bersama" in html  # the annotation list names the reason
    table = re.search(r'<table class="data-table burnup__table">.*?</table>', html, re.S)
    assert table and "4" in table.group(0)  # scope: weights 3 + 1
    assert "<script" not in svg.group(0)

"""Posting a progress update takes a fixed, short list of SQL statements (server/projects/posting.py): the
busiest write there is, sent at once to every board. A blocker or a 100% report costs only what telling
people costs; a plain post pays nothing for them."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from server.realtime.models import BoardEvent

NOT_COUNTED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")

# What a plain post runs, in order: the signed-in user, the unit tree (who may see the project, which
# boards get the event), the project with its members and latest update and the milestone under its
# row lock (one statement), the milestone's progress, the update, the event's project JSON (milestones
# with their assignees, the due dates of the open milestones, the milestones' history), the boards'
# counters and the event rows.
PLAIN_POST = [
    "SELECT user",
    "SELECT unit",
    "SELECT project",
    "UPDATE milestone",
    "INSERT progress_update",
    "SELECT milestone",
    "SELECT milestone_due_date",
    "SELECT history",
    "INSERT board_counter",
    "INSERT board_event",
]


def _shape(statement: str) -> str:
    """`SELECT project`, `INSERT board_event`: the statement's verb and its table (for a SELECT, the first
    table of its own FROM, not of a subquery's)."""
    verb = statement.split()[0].upper()
    depth, top_level = 0, []
    for char in statement:
        depth += char == "("
        top_level.append(char if depth == 0 else " ")
        depth -= char == ")"
    keyword = {"SELECT": "FROM", "INSERT": "INTO", "DELETE": "FROM"}.get(verb, verb)
    table = re.search(rf"\b{keyword}\s+\"?(\w+)", "".join(top_level), re.IGNORECASE)
    return f"{verb} {table.group(1) if table else '?'}"


@contextmanager
def counted(runtime: Any) -> Iterator[list[str]]:
    """Every statement sent while the block runs, but transaction control and the runtime's background
    checkpoint (a PRAGMA): the request's own statements (the tests send one request at a time)."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(NOT_COUNTED):
            statements.append(statement)

    engine = runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def _post(client, runtime, world, setup, body, *, by=None, headers=None):
    url = f"/api/v1/projects/{setup.project.id}/updates"
    with counted(runtime) as statements:
        response = await client.post(url, json=body, headers=world.auth(by or world.member) | (headers or {}))
    assert response.status_code == 201, response.text
    return response.json(), [_shape(s) for s in statements]


async def _events(runtime, update_id: int) -> list[tuple[str, int, str]]:
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            select(BoardEvent.board, BoardEvent.seq, BoardEvent.type).order_by(
                BoardEvent.board, BoardEvent.seq
            )
        )
        return [tuple(row) for row in rows.all()]


async def test_a_plain_post_takes_ten_statements_whoever_posts(client, runtime, world, setup):
    body = {"milestone_id": setup.milestone.id, "progress_pct": 30, "note": "Survei selesai"}
    _, by_a_member = await _post(client, runtime, world, setup, body)
    assert by_a_member == PLAIN_POST, by_a_member
    # The lead, reporting the milestone done: the lead is told of nothing, so nothing more is run.
    _, by_the_lead = await _post(
        client,
        runtime,
        world,
        setup,
        {"milestone_id": setup.milestone.id, "progress_pct": 100},
        by=world.lead,
    )
    assert by_the_lead == PLAIN_POST, by_the_lead


async def test_a_plain_posts_statements_run_as_core_but_the_signed_in_users(client, runtime, world, setup):
    """Statements of table columns skip the ORM's compile state and result set-up: about half of
    SQLAlchemy's cost per statement. Only the signed-in user, an ORM object every handler reads, is
    loaded through the ORM."""
    through_the_orm: list[bool] = []

    def seen(state: Any) -> None:
        through_the_orm.append(state.is_orm_statement)

    event.listen(Session, "do_orm_execute", seen)
    try:
        body = {"milestone_id": setup.milestone.id, "progress_pct": 30, "note": "Survei selesai"}
        _, shapes = await _post(client, runtime, world, setup, body)
    finally:
        event.remove(Session, "do_orm_execute", seen)
    assert shapes == PLAIN_POST
    assert through_the_orm == [True] + [False] * (len(PLAIN_POST) - 1), list(
        zip(shapes, through_the_orm, strict=False)
    )


async def test_a_blocker_rides_on_the_posts_event_statements_and_pays_only_for_telling(
    client, runtime, world, setup
):
    body = {"milestone_id": setup.milestone.id, "progress_pct": 20, "blockers": "Printer rusak"}
    update, shapes = await _post(client, runtime, world, setup, body)
    # The post's own statements, the blocker.opened event included (two seqs of each board at once),
    # then the unit's leaders, then the bell (server/notifications: the lead and the dinas leader).
    assert shapes[: len(PLAIN_POST)] == PLAIN_POST, shapes
    assert shapes[len(PLAIN_POST)] == "SELECT user", shapes
    told = shapes[len(PLAIN_POST) + 1 :]
    assert told and all(
        s.split()[1] in ("notification", "board_counter", "board_event", "user") for s in told
    ), told
    assert told.count("INSERT board_counter") == 2, "one notification.created event for each reader"
    project_boards = [f"project:{setup.project.id}", f"unit:{world.bidang.id}", f"unit:{world.dinas.id}"]
    events = await _events(runtime, update["id"])
    for board in project_boards:
        (seq_before, *_), posted, opened = [(seq, kind) for b, seq, kind in events if b == board][-3:]
        assert [posted, opened] == [
            (seq_before + 1, "progress.posted"),
            (seq_before + 2, "blocker.opened"),
        ], board
    told_boards = {b for b, _, kind in events if kind == "notification.created"}
    assert told_boards == {f"user:{world.lead.id}", f"user:{world.leader.id}"}


async def test_a_100_percent_report_by_a_member_costs_only_telling_the_lead(client, runtime, world, setup):
    _, shapes = await _post(
        client, runtime, world, setup, {"milestone_id": setup.milestone.id, "progress_pct": 100}
    )
    assert shapes[: len(PLAIN_POST)] == PLAIN_POST, shapes
    told = shapes[len(PLAIN_POST) :]
    assert told and all(
        s.split()[1] in ("notification", "board_counter", "board_event", "user") for s in told
    ), told


async def test_an_idempotency_key_costs_one_read_and_one_write_and_a_replay_writes_nothing(
    client, runtime, world, setup
):
    body = {"milestone_id": setup.milestone.id, "progress_pct": 30}
    key = {"Idempotency-Key": "pos-1"}
    first, shapes = await _post(client, runtime, world, setup, body, headers=key)
    # PostgreSQL takes the key's advisory lock first (`SELECT pg_advisory_xact_lock(...)`, no table);
    # SQLite already runs writers one at a time.
    lock = ["SELECT ?"] if runtime.engine.dialect.name == "postgresql" else []
    assert shapes == [
        "SELECT user",
        *lock,
        "SELECT idempotency_record",
        *PLAIN_POST[1:],
        "INSERT idempotency_record",
    ]
    again, replayed = await _post(client, runtime, world, setup, body, headers=key)
    assert again == first
    assert replayed == ["SELECT user", *lock, "SELECT idempotency_record"]


async def test_a_milestone_the_session_already_holds_shows_the_posted_progress(runtime, world, setup):
    """The progress goes to the database as a plain UPDATE: a page that read the milestone as an object
    before posting (in the same session) still sees the new value, as after a flush."""
    from server.projects import service
    from server.projects.models import Milestone, UpdateCreate

    async with runtime.transaction() as session:
        held = await session.get(Milestone, setup.milestone.id)
        assert held is not None and held.progress_pct == 0
        data = UpdateCreate(milestone_id=setup.milestone.id, progress_pct=40, note="Setengah jalan")
        await service.post_update(session, by=world.member, project_id=setup.project.id, data=data)
        assert held.progress_pct == 40
        assert held not in session.dirty, "nothing left for a flush to write again"

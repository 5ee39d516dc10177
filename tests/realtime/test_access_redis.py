"""Access notices through a Redis that stops answering (tests/realtime/pausing.py). They are in no log,
so a notice Redis did not take is sent again once it answers, and a process whose subscription was lost
checks every open board again when it is back."""

import asyncio

from server.projects import editing
from server.projects import service as projects
from server.projects.models import MilestoneEdit
from server.runtime import Runtime
from tests.realtime.sockets import RecordingViewer
from tests.services import redis_prefix


async def _until(condition, timeout: float) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


def _watch(runtime: Runtime, *viewers: RecordingViewer) -> None:
    for viewer in viewers:
        runtime.hub.access.checking_started(viewer)
        runtime.hub.access.admitted(viewer)


async def test_a_notice_redis_did_not_take_is_sent_again_once_it_answers(
    settings, world, setup, paused_redis
):
    """Only the writer's Redis connection is paused: the listener stays subscribed throughout, so only
    the notice sent again can reach it."""
    prefix = redis_prefix()
    direct = paused_redis.url.replace(str(paused_redis.port), str(paused_redis.target[1]))
    writer = Runtime.create(
        settings.model_copy(update={"redis_url": paused_redis.url, "redis_prefix": prefix})
    )
    listener = Runtime.create(settings.model_copy(update={"redis_url": direct, "redis_prefix": prefix}))
    await writer.start()
    await listener.start()
    try:
        await asyncio.wait_for(writer.broker.subscribed.wait(), 10)
        await asyncio.wait_for(listener.broker.subscribed.wait(), 10)
        removed, lead = RecordingViewer(world.member.id), RecordingViewer(world.lead.id)
        _watch(listener, removed, lead)

        # Open work is reassigned before its assignee leaves the project.
        async with writer.transaction() as session:
            for milestone in (setup.milestone, setup.other_milestone):
                edit = MilestoneEdit(assignee_ids=[])
                await editing.edit_milestone(session, by=world.lead, milestone_id=milestone.id, data=edit)
        paused_redis.pause()
        async with writer.transaction() as session:
            await projects.remove_member(
                session, by=world.lead, project_id=setup.project.id, user_id=world.member.id
            )
        await _until(lambda: writer.broker.failed_sends > 0, 10)  # the publish gave up
        paused_redis.resume()
        await _until(lambda: removed.checks > 0, 10)
        assert listener.broker.subscribed.is_set() and lead.checks == 0, "it came as the notice itself"
    finally:
        await writer.stop()
        await listener.stop()


async def test_a_process_back_on_redis_checks_every_open_board_again(settings, world, paused_redis):
    """Notices published while its subscription was lost never reach it: it cannot tell whose boards
    they were about."""
    listener = Runtime.create(
        settings.model_copy(update={"redis_url": paused_redis.url, "redis_prefix": redis_prefix()})
    )
    await listener.start()
    try:
        await asyncio.wait_for(listener.broker.subscribed.wait(), 10)
        viewers = [RecordingViewer(world.leader.id), RecordingViewer(world.member.id)]
        _watch(listener, *viewers)
        paused_redis.pause()
        await _until(lambda: not listener.broker.subscribed.is_set(), 10)
        assert [v.checks for v in viewers] == [0, 0]
        paused_redis.resume()
        await asyncio.wait_for(listener.broker.subscribed.wait(), 15)
        await _until(lambda: all(v.checks == 1 for v in viewers), 5)
    finally:
        await listener.stop()

"""Hourly housekeeping forgets uploads no post took up within a day, and their files once no row names
them (server/evidence/cleanup.py, run by server/housekeeping.py)."""

import os
from datetime import timedelta

from sqlalchemy import select

from server import clock, housekeeping
from server.evidence import storage
from server.evidence.models import Evidence
from tests.evidence.images import photo_bytes
from tests.evidence.test_service import _post, _upload


def _age_file(sha256: str) -> None:
    """As if saved two days ago (the upload's own save renews the time of a file it finds)."""
    old = (clock.now() - timedelta(days=2)).timestamp()
    os.utime(storage.path_of(sha256), (old, old))


async def _rows(runtime) -> dict[int, Evidence]:
    async with runtime.read_sessionmaker() as session:
        return {row.id: row for row in await session.scalars(select(Evidence))}


async def test_unattached_uploads_older_than_a_day_go_with_the_files_no_one_else_uses(runtime, world, setup):
    clock.freeze(clock.now() - timedelta(hours=25))
    abandoned = await _upload(runtime, world.member, photo_bytes(colour="red"))
    shared = await _upload(runtime, world.member, photo_bytes(colour="blue"))
    old_but_posted = await _upload(runtime, world.member, photo_bytes(colour="green"))
    await _post(runtime, setup, world.member, [old_but_posted.id])
    clock.freeze(None)
    fresh = await _upload(runtime, world.member, photo_bytes(colour="yellow"))
    # Someone else's attached upload of the very same photo as `shared`: its file must stay.
    again = await _upload(runtime, world.lead, photo_bytes(colour="blue"))
    await _post(runtime, setup, world.lead, [again.id])
    before = await _rows(runtime)
    for row in before.values():
        _age_file(row.sha256)
        _age_file(row.thumbnail_sha256)

    deleted = await housekeeping.prune(runtime.sessionmaker, runtime.settings)

    assert deleted["unattached evidence"] == 2
    after = await _rows(runtime)
    assert sorted(after) == sorted([old_but_posted.id, fresh.id, again.id])
    assert shared.id not in after and before[shared.id].sha256 == after[again.id].sha256
    gone = before[abandoned.id]
    assert not storage.path_of(gone.sha256).exists() and not storage.path_of(gone.thumbnail_sha256).exists()
    for row in after.values():
        assert storage.path_of(row.sha256).exists() and storage.path_of(row.thumbnail_sha256).exists()


async def test_a_file_saved_again_lately_stays_for_the_upload_on_its_way(runtime, world):
    clock.freeze(clock.now() - timedelta(hours=25))
    abandoned = await _upload(runtime, world.member, photo_bytes(colour="red"))
    clock.freeze(None)
    row = (await _rows(runtime))[abandoned.id]
    _age_file(row.thumbnail_sha256)
    # The photo's file is saved again now by an upload whose row is not written yet (same bytes, so the
    # same name): the file was renewed, so it must not go.
    storage.save(storage.path_of(row.sha256).read_bytes())

    deleted = await housekeeping.prune(runtime.sessionmaker, runtime.settings)

    assert deleted["unattached evidence"] == 1
    assert storage.path_of(row.sha256).exists()
    assert not storage.path_of(row.thumbnail_sha256).exists()


async def test_files_stay_when_the_deletion_rolls_back(runtime, world, monkeypatch):
    clock.freeze(clock.now() - timedelta(hours=25))
    abandoned = await _upload(runtime, world.member, photo_bytes(colour="red"))
    clock.freeze(None)
    row = (await _rows(runtime))[abandoned.id]
    _age_file(row.sha256)
    real = housekeeping.prunes

    def failing_after_evidence(settings):
        jobs = real(settings)
        evidence_job = jobs["unattached evidence"]

        async def then_fail(session, limit):
            await evidence_job(session, limit)
            raise RuntimeError("the connection broke before the commit")

        return {"unattached evidence": then_fail}

    monkeypatch.setattr(housekeeping, "prunes", failing_after_evidence)
    await housekeeping.prune(runtime.sessionmaker, runtime.settings)
    assert abandoned.id in await _rows(runtime)
    assert storage.path_of(row.sha256).exists()

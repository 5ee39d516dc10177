from dataclasses import dataclass

import pytest

from server.projects.reads import MilestoneRead, ProjectRead
from tests import factories


@dataclass
class Setup:
    project: ProjectRead
    milestone: MilestoneRead
    other_milestone: MilestoneRead


@pytest.fixture
async def setup(world, runtime) -> Setup:
    """A bidang project led by `lead`, with `member` as member and assignee of two milestones."""
    async with runtime.transaction() as db:
        project = await factories.make_project(db, by=world.admin, unit=world.bidang, lead=world.lead)
        await factories.add_member(db, project=project, user=world.member, by=world.lead)
        first = await factories.make_milestone(db, project=project, lead=world.lead, weight=3, assignee_ids=[world.member.id])
        second = await factories.make_milestone(db, project=project, lead=world.lead, weight=1, assignee_ids=[world.member.id])
    return Setup(project, first, second)

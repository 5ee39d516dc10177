"""Every table, imported in one place for Alembic and the test set-up."""

from server.accounts.models import AppSetting, Unit, User, WebSession
from server.idempotency import IdempotencyRecord
from server.projects.models import Milestone, MilestoneAssignee, MilestoneHistory, Project, ProjectMember, ProgressUpdate
from server.realtime.models import BoardCounter, BoardEvent

__all__ = [
    "AppSetting", "Unit", "User", "WebSession", "IdempotencyRecord", "Milestone", "MilestoneAssignee",
    "MilestoneHistory", "Project", "ProjectMember", "ProgressUpdate", "BoardCounter", "BoardEvent",
]

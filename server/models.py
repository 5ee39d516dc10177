"""Every table, imported in one place for Alembic and the test set-up."""

from server.accounts.models import AppSetting, Unit, User, WebSession
from server.accounts.uploads import ImportUpload
from server.audit import HistoryEntry
from server.calendar.models import Holiday, PeriodLock
from server.evidence.models import Evidence
from server.feedback.models import Feedback, SurveyToken
from server.idempotency import IdempotencyRecord
from server.notifications.models import Notification, NotificationPreference, OutboxEmail, ScheduledRun
from server.performance.models import DialogEntry, DialogRevision, OrganisationResult, Rating, Target
from server.projects.models import (
    Milestone,
    MilestoneAssignee,
    MilestoneDueDate,
    ProgressUpdate,
    Project,
    ProjectMember,
    UpdateResponse,
)
from server.realtime.models import BoardCounter, BoardEvent

__all__ = [
    "AppSetting",
    "Unit",
    "User",
    "WebSession",
    "ImportUpload",
    "IdempotencyRecord",
    "Milestone",
    "MilestoneAssignee",
    "HistoryEntry",
    "Project",
    "ProjectMember",
    "ProgressUpdate",
    "BoardCounter",
    "BoardEvent",
    "OrganisationResult",
    "Rating",
    "Target",
    "Feedback",
    "SurveyToken",
    "Holiday",
    "PeriodLock",
    "MilestoneDueDate",
    "Notification",
    "NotificationPreference",
    "OutboxEmail",
    "ScheduledRun",
    "DialogEntry",
    "DialogRevision",
    "UpdateResponse",
    "Evidence",
]

"""Every reaction of one domain to a change in another, connected here and nowhere else.

A domain that changes something announces it through a list of listeners it owns (it does not know who
listens); this module is where those lists are filled, so that "what happens when a milestone closes?"
has one answer to read. The listeners run in the changing transaction: the change and its consequences
commit together or not at all.

The connections are made when the `server` package is imported (server/__init__.py), so a domain
service called from a test, a script or the CLI reacts exactly as it does under the app; nothing
depends on whether a Runtime was created.

| change (announced by)                                     | reaction                                           |
|-----------------------------------------------------------|----------------------------------------------------|
| a milestone closes, is scored, corrected or reopened      | performance: recompute timeliness and quality of   |
|   (projects.changes.milestone_closed_listeners)           |   its assignees, in the months it counts in        |
| a survey answer is stored or reviewed                     | performance: recompute the named employee's        |
|   (feedback.service.feedback_listeners)                   |   satisfaction                                     |
"""

from typing import Any

from server.feedback import service as feedback
from server.performance import service as performance
from server.projects import changes as projects

REACTIONS: tuple[tuple[list[Any], Any], ...] = (
    (projects.milestone_closed_listeners, performance.on_milestone_closed),
    (feedback.feedback_listeners, performance.on_feedback),
)


def connect() -> None:
    """Fill each announcing list with its reactions (idempotent)."""
    for listeners, reaction in REACTIONS:
        if reaction not in listeners:
            listeners.append(reaction)


connect()

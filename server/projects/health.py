"""Project health from schedule versus progress. Pantau's rule, stated on the help page:

1. Expected progress is the share of the project's time that has passed:
   (today - start_date) / (due_date - start_date), between 0% and 100%.
2. The project is `off_track` when its due date has passed before it reached 100%, when an open
   milestone is more than OFF_TRACK_OVERDUE_DAYS days overdue, or when it is more than OFF_TRACK_GAP
   points behind the expected progress.
3. Otherwise it is `at_risk` when an open milestone is overdue, or it is more than AT_RISK_GAP points
   behind the expected progress.
4. Otherwise it is `on_track`.

A project with no milestones yet has nothing to be behind on: it is `on_track` until its due date
passes, then `off_track`.
"""

from datetime import date

from server.projects.models import Health

AT_RISK_GAP = 10.0
OFF_TRACK_GAP = 25.0
OFF_TRACK_OVERDUE_DAYS = 7


def expected_progress(start_date: date, due_date: date, today: date) -> float:
    span = (due_date - start_date).days
    if span <= 0:
        return 100.0 if today >= due_date else 0.0
    return max(0.0, min(100.0, 100.0 * (today - start_date).days / span))


def project_health(
    *,
    start_date: date,
    due_date: date,
    progress_pct: float,
    open_due_dates: list[date],
    today: date,
    has_milestones: bool = True,
) -> Health:
    if not has_milestones:
        return Health.off_track if today > due_date else Health.on_track
    if progress_pct >= 100:
        return Health.on_track
    gap = expected_progress(start_date, due_date, today) - progress_pct
    most_overdue = max((today - due).days for due in open_due_dates) if open_due_dates else 0
    if today > due_date or most_overdue > OFF_TRACK_OVERDUE_DAYS or gap > OFF_TRACK_GAP:
        return Health.off_track
    if most_overdue > 0 or gap > AT_RISK_GAP:
        return Health.at_risk
    return Health.on_track

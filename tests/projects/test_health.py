from datetime import date

import pytest

from server.projects.health import project_health
from server.projects.models import Health

START, DUE = date(2026, 11, 1), date(2026, 11, 30)


@pytest.mark.parametrize(
    ("today", "progress", "open_due", "expected"),
    [
        (date(2026, 11, 1), 0, [], Health.on_track),
        (date(2026, 11, 16), 50, [], Health.on_track),  # expected 51.7%, 1.7 behind
        (date(2026, 11, 16), 40, [], Health.at_risk),  # 11.7 behind
        (date(2026, 11, 16), 20, [], Health.off_track),  # 31.7 behind
        (date(2026, 11, 16), 60, [date(2026, 11, 15)], Health.at_risk),  # a milestone 1 day overdue
        (date(2026, 11, 16), 60, [date(2026, 11, 8)], Health.off_track),  # 8 days overdue
        (date(2026, 12, 1), 99, [], Health.off_track),  # project due date passed
        (date(2026, 12, 1), 100, [], Health.on_track),  # done
    ],
)
def test_health_rule(today, progress, open_due, expected):
    health = project_health(
        start_date=START, due_date=DUE, progress_pct=progress, open_due_dates=open_due, today=today
    )
    assert health == expected

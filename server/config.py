"""Settings from the environment (prefix PANTAU_), read once per process."""

from decimal import Decimal
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PANTAU_", extra="ignore")

    database_url: str = "sqlite:///pantau.db"
    redis_url: str | None = None
    # Lets several deployments (or test runs) share one Redis without hearing each other.
    redis_prefix: str = "pantau:"
    bootstrap_admin: str | None = None
    secret_key: str | None = None

    access_token_minutes: int = 12 * 60
    session_hours: int = 12

    # Live boards: how many messages may wait for one slow client before it is dropped (4008).
    board_queue_size: int = 512
    # How long an out-of-order event waits for its predecessor before the gap is read from the database.
    board_gap_wait_seconds: float = 0.2
    replay_keep_days: int = 7
    replay_keep_events: int = 10_000

    # A project with no progress update for this many days is marked stale on the boards.
    stale_after_days: int = 7
    # Timeliness: points lost per day late (see server/performance/rules.py and the help page).
    timeliness_penalty_per_day: Decimal = Decimal("5")


@lru_cache
def get_settings() -> Settings:
    return Settings()

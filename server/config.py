"""Settings from the environment (prefix PANTAU_), read once per process."""

from decimal import Decimal
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Network = IPv4Network | IPv6Network


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PANTAU_", extra="ignore")

    database_url: str = "sqlite:///pantau.db"
    # How long a write waits for a lock another transaction holds (SQLite's write lock, a PostgreSQL row
    # lock) before the request gives up with 503 "try again" (server/db.py make_engine).
    database_lock_wait_seconds: float = Field(default=30.0, gt=0, le=600)
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

    # Proxies whose X-Forwarded-For is believed: comma-separated addresses or CIDR ranges (docker-compose.yml
    # names nginx's). None by default, so no client can choose the address it is rate limited and counted
    # under (server/ratelimit.client_address; `pantau serve` gives uvicorn the same list).
    trusted_proxies: Annotated[tuple[Network, ...], NoDecode] = ()
    # The site's public base URL (https://pantau.example.go.id) for the links Pantau writes, such as the
    # survey poster's QR code. Unset: taken from the request, whose Host header the client chooses.
    public_url: str | None = None

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_proxies(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        networks = []
        for item in (part.strip() for part in value.split(",")):
            if not item:
                continue
            if item == "*":
                raise ValueError("'*' would believe every client's X-Forwarded-For: name the proxy's address")
            try:
                networks.append(ip_network(item, strict=False))
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an IP address or CIDR range") from exc
        return tuple(networks)

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"{value!r} is not a base URL like https://pantau.example.go.id")
        return value.strip().rstrip("/")


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""Settings from the environment (prefix PANTAU_), read once per process."""

from decimal import Decimal
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

Network = IPv4Network | IPv6Network


class Settings(BaseSettings):
    # A refused setting is reported without its value: URLs carry passwords (database, Redis, SMTP).
    model_config = SettingsConfigDict(env_prefix="PANTAU_", extra="ignore", hide_input_in_errors=True)

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
    # A wall screen renews its session while it is open (wall.js), up to this long after signing in.
    session_max_days: int = 30

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
    # One line per request on the console (uvicorn's access log). Off unless asked for: nginx writes the
    # scaled deployment's own (docker-compose.yml), and each line keeps an address and what it asked for,
    # a record of every ASN's and citizen's requests; writing it cost ~4% of a progress post at load.
    access_log: bool = False
    # The site's public base URL (https://pantau.example.go.id) for the links Pantau writes, such as the
    # survey poster's QR code. Unset: taken from the request, whose Host header the client chooses.
    public_url: str | None = None

    # Outgoing e-mail (server/notifications/outbox.py): smtp://user:password@host:587 (STARTTLS, required),
    # smtps://user:password@host:465 (TLS from the start), smtp://host:25?starttls=false (a relay on a
    # trusted network, no encryption); ?cafile=/path/ca.pem trusts a private CA. Unset: e-mails are still
    # written to the outbox but none is sent (logged once at start-up).
    smtp_url: str | None = None
    # The sender of every e-mail (From:), required with smtp_url.
    smtp_from: str | None = None
    # The daily jobs (reminders at 07:00 WIB, the digest; server/scheduler.py). Every process may run them:
    # each job runs once per deployment and day. False: this process runs none (tests drive them by hand).
    scheduler: bool = True
    # Where evidence photos and PDFs are kept, by content hash (server/evidence/storage.py). Unset: beside
    # the SQLite file (pantau.db -> pantau-media/), or ./pantau-media on PostgreSQL. Replicas share it.
    media_dir: Path | None = None

    @property
    def media_path(self) -> Path:
        """The media folder in effect: `media_dir`, or its default for the database in use."""
        return self.media_dir if self.media_dir is not None else default_media_dir(self.database_url)

    @field_validator("media_dir", mode="before")
    @classmethod
    def _blank_media_dir_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("PANTAU_SMTP_URL looks like smtp://user:password@host:587 or smtps://host:465")
        return value.strip()

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

    @model_validator(mode="after")
    def _check_smtp_from(self) -> "Settings":
        if self.smtp_url and not (self.smtp_from or "").strip():
            raise ValueError("PANTAU_SMTP_FROM (the sender's address) is required with PANTAU_SMTP_URL")
        return self


def default_media_dir(database_url: str) -> Path:
    """Beside the SQLite file, named after it (x/pantau.db -> x/pantau-media); ./pantau-media otherwise."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return Path("pantau-media")
    database = url.database if url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return Path("pantau-media")
    database_file = Path(database)
    return database_file.with_name(f"{database_file.stem}-media")


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""The real services a test run uses: its own database (created here, dropped after) and its own
Redis key prefix, so that runs never collide and nothing is left behind."""

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

ADMIN_DSN = os.environ.get("PANTAU_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("PANTAU_TEST_REDIS", "redis://127.0.0.1:6379/0")


def backend() -> str:
    return os.environ.get("PANTAU_TEST_BACKEND", "sqlite")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for the duration of the block."""
    name = f"pantau_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_DSN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def sqlite_database(folder: Path) -> Iterator[str]:
    yield f"sqlite:///{folder / 'pantau-test.db'}"


def redis_prefix() -> str:
    return f"pantau-test-{uuid.uuid4().hex[:12]}:"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

"""Importing 2,000 staff from a CSV (target: under 10 seconds on this machine, validation included)."""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.report import table, write_section
from server.accounts.importer import import_staff
from server.accounts.models import Unit
from server.config import Settings
from server.migrate import upgrade
from server.runtime import Runtime
from tests.services import postgres_database

ROWS = 2_000


def staff_csv(rows: int) -> bytes:
    lines = ["NIP,Nama,Unit,NIP Atasan,Peran,Email"]
    for n in range(rows):
        nip = (
            f"19{70 + n % 25:02d}0{1 + n % 9}1{n % 9}20{10 + n % 10:02d}0{1 + n % 9}{1 + n % 2}{n % 1000:03d}"
        )
        supervisor = "" if n < 20 else lines[1 + n % 20].split(",")[0]
        lines.append(
            f"{nip},Pegawai {n},Dinas {n % 4},{supervisor},{'leader' if n < 20 else 'staff'},p{n}@bukitintan.go.id"
        )
    return ("\n".join(lines) + "\n").encode()


async def measure(url: str) -> float:
    upgrade(url)
    runtime = Runtime.create(Settings(database_url=url, redis_url=None))
    try:
        async with runtime.transaction() as session:
            session.add_all([Unit(name=f"Dinas {n}") for n in range(4)])
        content = staff_csv(ROWS)
        started = time.perf_counter()
        async with runtime.transaction() as session:
            report = await import_staff(
                session, by_id=None, filename="pegawai.csv", content=content, dry_run=False
            )
        elapsed = time.perf_counter() - started
        assert report.imported == ROWS, report.problems()[:3]
        return elapsed
    finally:
        await runtime.engine.dispose()


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(prog="python -m bench import").parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite:///{Path(folder) / 'b.db'}"
        rows.append(["sqlite", ROWS, f"{asyncio.run(measure(sqlite_url)):.2f}"])
    with postgres_database() as url:
        rows.append(["postgres", ROWS, f"{asyncio.run(measure(url)):.2f}"])
    body = (
        table(["backend", "rows", "seconds (validate + import, one transaction)"], rows)
        + "\n\nTarget: under 10 s."
    )
    print(body)
    write_section("import", "## Staff import\n\n" + body)


if __name__ == "__main__":
    main()

"""The `pantau` command: serve, migrate, create-user."""

import argparse
import asyncio
import getpass
import logging
import sys
from typing import Any

import uvicorn

from server.config import Settings, get_settings

# Board sockets are served by server.realtime.socket (no ASGI stack per connection), with protocol-level
# pings every 20 s (API: at least every 30 s). They never negotiate per-message compression: board
# messages are small, and each compressed connection would hold its own zlib buffers.
UVICORN_WEBSOCKET_OPTIONS = {
    "ws": "server.realtime.socket:BoardConnection",
    "ws_ping_interval": 20.0,
    "ws_ping_timeout": 20.0,
}


def _serve(args: argparse.Namespace) -> None:
    from server.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    if args.demo:
        from server.demo import load_demo

        logins = asyncio.run(load_demo(settings))
        shown_host = "localhost" if args.host in ("0.0.0.0", "127.0.0.1") else args.host
        print(f"\nPantau is running at http://{shown_host}:{args.port}/")
        if logins:
            print("Demo logins (username / password):")
            for role, username, password in logins:
                print(f"  {role:<28} {username} / {password}")
        else:
            print("The database already had data, so no demo data was loaded.")
        print(flush=True)
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        log_level="info",
        access_log=settings.access_log,
        **proxy_options(settings),
        **UVICORN_WEBSOCKET_OPTIONS,
    )


def proxy_options(settings: Settings) -> dict[str, Any]:
    """PANTAU_TRUSTED_PROXIES is the one list of proxies whose X-Forwarded-For (and -Proto) is believed.
    uvicorn gets exactly that list: left to itself it would read FORWARDED_ALLOW_IPS or trust 127.0.0.1,
    and rewrite the client address of requests that server.ratelimit.client_address would not believe."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": [str(n) for n in settings.trusted_proxies]}


def _migrate(_: argparse.Namespace) -> None:
    from server.migrate import upgrade

    upgrade(get_settings().database_url)
    print("Database is up to date.")


def _create_user(args: argparse.Namespace) -> None:
    from pydantic import ValidationError

    from server.accounts.models import UserCreate
    from server.accounts.service import create_user
    from server.errors import PantauError
    from server.migrate import upgrade
    from server.runtime import Runtime

    settings = get_settings()
    upgrade(settings.database_url)
    password = args.password or getpass.getpass("Password: ")
    try:
        data = UserCreate(
            username=args.username,
            password=password,
            name=args.name,
            nip=args.nip,
            role=args.role,
            unit_id=args.unit_id,
            supervisor_id=args.supervisor_id,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        sys.exit(f"Invalid user: {problems}")

    async def run() -> int:
        runtime = Runtime.create(settings)
        try:
            async with runtime.transaction() as session:
                user = await create_user(session, data=data)
                return int(user.id)
        finally:
            await runtime.engine.dispose()

    try:
        user_id = asyncio.run(run())
    except PantauError as exc:
        sys.exit(f"Could not create the user: {exc.detail}")
    print(f"Created user {args.username} (id {user_id}).")


def _sqlite_path(url: str) -> str:
    from sqlalchemy.engine import make_url

    from server.db import is_sqlite, sync_url

    if not is_sqlite(url):
        sys.exit(
            "backup and restore are for the embedded SQLite database; on PostgreSQL use pg_dump and pg_restore"
        )
    database = make_url(sync_url(url)).database
    if not database or database == ":memory:":
        sys.exit("PANTAU_DATABASE_URL names no database file")
    return database


def _backup(args: argparse.Namespace) -> None:
    from server.backup import backup, backup_media, media_backup_folder

    settings = get_settings()
    pages = backup(_sqlite_path(settings.database_url), args.path)
    print(f"Backed up {pages} pages to {args.path}.")
    media = backup_media(settings.media_path, args.path)
    print(
        f"Evidence files: {media.copied} copied to {media_backup_folder(args.path)}, "
        f"{media.present} there already."
    )
    _report_damaged(media.damaged, settings.media_path)


def _restore(args: argparse.Namespace) -> None:
    from server.backup import media_backup_folder, restore, restore_media

    settings = get_settings()
    database = _sqlite_path(settings.database_url)
    # The files first: once the database is back, every evidence row it holds finds its file.
    media = restore_media(args.path, settings.media_path)
    restore(args.path, database)
    print(f"Restored {args.path}. Restart Pantau if it was running.")
    if media is None:
        print(f"No evidence files to restore ({media_backup_folder(args.path)} does not exist).")
    else:
        print(
            f"Evidence files: {media.copied} restored to {settings.media_path}, {media.present} there already."
        )
        _report_damaged(media.damaged, media_backup_folder(args.path))


def _report_damaged(damaged: list[str], folder: object) -> None:
    if damaged:
        print(
            f"WARNING: {len(damaged)} evidence file(s) in {folder} do not match their content hash and were "
            f"not copied: {', '.join(damaged[:10])}{' ...' if len(damaged) > 10 else ''}",
            file=sys.stderr,
        )


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="pantau", description="Pantau: performance-based staff management")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate the database and run the server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--demo", action="store_true", help="load the Bukitintan demo data into an empty database"
    )
    serve.set_defaults(run=_serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)

    create = commands.add_parser("create-user", help="create a user account")
    create.add_argument("--username", required=True)
    create.add_argument("--password", help="prompted for when omitted")
    create.add_argument("--name", required=True)
    create.add_argument("--nip", required=True)
    create.add_argument("--role", choices=["admin", "leader", "staff"], default="staff")
    create.add_argument("--unit-id", type=int, required=True)
    create.add_argument("--supervisor-id", type=int)
    create.set_defaults(run=_create_user)

    backup = commands.add_parser(
        "backup",
        help="copy the embedded SQLite database, consistently, while it runs, and the evidence files beside it",
    )
    backup.add_argument("path")
    backup.set_defaults(run=_backup)
    restore = commands.add_parser(
        "restore", help="replace the embedded SQLite database with a backup; put its evidence files back"
    )
    restore.add_argument("path")
    restore.set_defaults(run=_restore)

    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()

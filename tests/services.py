"""The real services a test run uses: its own database (created here, dropped after) and its own
Redis key prefix, so that runs never collide and nothing is left behind."""

import asyncio
import os
import re
import signal
import socket
import sys
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


class AppProcess:
    """A real `pantau serve` process on its own port, stopped by its PID. `program` runs Pantau (by default
    this interpreter's `python -m server`), in the folder `cwd` (by default this one)."""

    def __init__(
        self,
        env: dict[str, str],
        port: int,
        *extra_args: str,
        program: tuple[str, ...] = (sys.executable, "-m", "server"),
        cwd: Path | None = None,
    ) -> None:
        self.env = env
        self.port = port
        self.extra_args = extra_args
        self.program = program
        self.cwd = cwd
        self.process: asyncio.subprocess.Process | None = None
        self.output: list[str] = []
        self._reader: asyncio.Task[None] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self, timeout: float = 60) -> "AppProcess":
        self.process = await asyncio.create_subprocess_exec(
            *self.program,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *self.extra_args,
            env=self.env,
            cwd=self.cwd,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        started = asyncio.get_running_loop().create_future()
        self._reader = asyncio.get_running_loop().create_task(self._read(started))
        await asyncio.wait_for(started, timeout)
        return self

    async def _read(self, started: "asyncio.Future[None]") -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in self.process.stdout:
            line = raw.decode(errors="replace").rstrip()
            self.output.append(line)
            if "Application startup complete" in line and not started.done():
                started.set_result(None)
        if not started.done():
            started.set_exception(RuntimeError("app process exited:\n" + "\n".join(self.output[-30:])))

    async def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        os.kill(self.process.pid, sig)
        try:
            await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            os.kill(self.process.pid, signal.SIGKILL)
            await self.process.wait()
        if self._reader is not None:
            await self._reader


def app_env(database_url: str, redis_url: str | None, prefix: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env.update(PANTAU_DATABASE_URL=database_url, PANTAU_REDIS_PREFIX=prefix)
    if redis_url:
        env["PANTAU_REDIS_URL"] = redis_url
    env.update(extra)
    return env


class RedisProcess:
    """A private redis-server on its own port, for tests that must stop and restart Redis."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self, timeout: float = 20) -> "RedisProcess":
        self.process = await asyncio.create_subprocess_exec(
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        assert self.process.stdout is not None

        async def ready() -> None:
            async for line in self.process.stdout:  # type: ignore[union-attr]
                if b"Ready to accept connections" in line:
                    return
            raise RuntimeError("redis-server exited before it was ready")

        await asyncio.wait_for(ready(), timeout)
        return self

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            os.kill(self.process.pid, signal.SIGKILL)
            await self.process.wait()


class TcpProxy:
    """Forwards a local port to a server; stop() refuses new connections and cuts open ones, so a
    test can make the database unreachable without touching the machine's PostgreSQL. pause() stops
    forwarding without closing anything: to its clients the server looks paused (stopped by SIGSTOP,
    swapping, stuck) until resume()."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port = port
        self.target = target
        self.server: asyncio.base_events.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.flowing = asyncio.Event()
        self.flowing.set()

    async def start(self) -> "TcpProxy":
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    def pause(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    async def stop(self) -> None:
        self.flowing.set()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.writers):
            writer.close()
        self.writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, upstream_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    await self.flowing.wait()  # held, as bytes wait in a paused server's socket
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        self.writers -= {writer, upstream_writer}


NGINX = os.environ.get("PANTAU_TEST_NGINX", "/usr/sbin/nginx")
NGINX_TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf.template"


def envsubst(text: str, values: dict[str, str]) -> str:
    """What the nginx image's entrypoint does to /etc/nginx/templates (envsubst with the list of defined
    variables): `${NAME}` and `$NAME` of those variables are replaced; every other `$` - nginx's own
    variables such as `$http_upgrade` - is left alone."""

    def replace(match: "re.Match[str]") -> str:
        name = match.group(1) or match.group(2)
        return values[name] if name in values else match.group(0)

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", replace, text)


class NginxProcess:
    """A non-daemon nginx in front of app processes, configured from deploy/nginx.conf.template; its
    pid file, logs and temporary files all live in `folder`. Stopped by its PID."""

    def __init__(self, folder: Path, port: int, upstreams: list[str]) -> None:
        self.folder = folder
        self.port = port
        self.upstreams = upstreams
        self.process: asyncio.subprocess.Process | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def write_config(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        site = self.folder / "pantau.conf"
        site.write_text(
            envsubst(
                NGINX_TEMPLATE.read_text(),
                {
                    "PANTAU_LISTEN": self.address,
                    "PANTAU_UPSTREAM_SERVERS": " ".join(f"server {upstream};" for upstream in self.upstreams),
                },
            )
        )
        temp = {name: self.folder / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
        # As root, nginx would run its workers as `nobody`, who cannot enter a private temporary folder.
        user = "user root;\n" if os.geteuid() == 0 else ""
        main = self.folder / "nginx.conf"
        main.write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {self.folder / 'nginx.pid'};\n"
            f"error_log {self.folder / 'error.log'} info;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            f"    access_log {self.folder / 'access.log'};\n"
            f"    client_body_temp_path {temp['client_body']};\n"
            f"    proxy_temp_path {temp['proxy']};\n"
            f"    fastcgi_temp_path {temp['fastcgi']};\n"
            f"    uwsgi_temp_path {temp['uwsgi']};\n"
            f"    scgi_temp_path {temp['scgi']};\n"
            f"    include {site};\n"
            "}\n"
        )
        return main

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    async def start(self, timeout: float = 20) -> "NginxProcess":
        if not Path(NGINX).exists():
            raise RuntimeError(f"nginx is not installed at {NGINX}: apt-get install -y nginx")
        config = self.write_config()
        self.process = await asyncio.create_subprocess_exec(
            NGINX,
            "-p",
            str(self.folder),
            "-c",
            str(config),
            "-e",
            str(self.folder / "error.log"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if self.process.returncode is not None:
                raise RuntimeError(f"nginx exited with {self.process.returncode}:\n{self.error_log()}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                if asyncio.get_running_loop().time() > deadline:
                    await self.stop()
                    raise RuntimeError(
                        f"nginx did not listen on {self.address}:\n{self.error_log()}"
                    ) from None
                await asyncio.sleep(0.05)
                continue
            writer.close()
            return self

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            os.kill(self.process.pid, signal.SIGKILL)
            await self.process.wait()

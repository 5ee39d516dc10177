"""The wheel is the product: built from the source, installed into a fresh virtual environment outside the
tree, and `pantau serve` started from another folder serves the pages, the static files, the survey and a
live board, on this run's backend.

Nothing is downloaded. The wheel is built with this venv's setuptools, and the fresh environment reuses the
dependencies installed here through a .pth file naming this venv's site-packages, whose own .pth files
(the editable install's finder among them) Python does not run; Pantau itself comes only from the wheel."""

import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.realtime.boards import open_board, receive
from tests.services import REDIS_URL, AppProcess, backend, free_port, postgres_database, redis_prefix
from tests.test_deploy_files import compose, dockerfile_healthcheck

ROOT = Path(__file__).resolve().parents[1]
ADMIN = {"username": "wheel-admin", "password": "wheel-admin-password"}


def _run(*command: str | Path, cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _tree_files(folder: str, pattern: str) -> set[str]:
    return {
        path.relative_to(ROOT / folder).as_posix()
        for path in (ROOT / folder).glob(pattern)
        if path.is_file() and "__pycache__" not in path.parts
    }


@dataclass
class Installed:
    wheel: Path
    venv: Path
    site_packages: Path
    elsewhere: Path  # a working directory with nothing of Pantau's in it


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("wheel")
    # Build from a copy of what the package is made of, so no build/ or egg-info is left in the tree.
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        (source / name).write_bytes((ROOT / name).read_bytes())
    for name in ("server", "web"):
        subprocess.run(["cp", "-r", ROOT / name, source / name], check=True)
    dist = work / "dist"
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-index",
        "--no-build-isolation",
        "-w",
        dist,
        source,
        cwd=work,
    )
    [wheel] = dist.glob("pantau-*.whl")

    venv = work / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work)
    python = venv / "bin" / "python"
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=work
    )
    site_packages = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=work).strip()
    )
    # Only after Pantau is installed: pip must not see (and replace) the editable install in this venv.
    (site_packages / "dependencies-from-the-dev-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    return Installed(wheel, venv, site_packages, elsewhere)


def test_every_package_under_server_is_listed_for_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    in_tree = {
        ".".join(folder.relative_to(ROOT).parts)
        for folder in (ROOT / "server").rglob("*")
        if folder.is_dir() and "__pycache__" not in folder.parts and any(folder.glob("*.py"))
    }
    assert config["package-dir"] == {"server.web": "web"}
    assert set(config["packages"]) == in_tree | {"server", "server.web"}


def test_the_wheel_holds_the_code_templates_static_files_catalogues_and_migrations(installed):
    with zipfile.ZipFile(installed.wheel) as wheel:
        shipped = {name for name in wheel.namelist() if not name.startswith("pantau-")}
    expected = (
        {f"server/{name}" for name in _tree_files("server", "**/*.py")}
        | {"server/migrations/script.py.mako"}
        | {f"server/web/{name}" for name in _tree_files("web", "templates/**/*.html")}
        | {f"server/web/{name}" for name in _tree_files("web", "templates/email/*.txt")}
        | {f"server/web/{name}" for name in _tree_files("web", "static/**/*")}
        | {f"server/web/{name}" for name in _tree_files("web", "locale/*/LC_MESSAGES/messages.po")}
        | {"server/web/__init__.py"}
    )
    assert shipped == expected


def test_the_installed_package_is_the_wheel_not_the_source_tree(installed):
    found = _run(
        installed.venv / "bin" / "python",
        "-c",
        "import server, server.resources as r; print(server.__file__, r.TEMPLATES, r.STATIC, r.LOCALES, r.MIGRATIONS)",
        cwd=installed.elsewhere,
    ).split()
    assert len(found) == 5
    for path in found:
        assert Path(path).is_relative_to(installed.site_packages / "server"), path


@pytest.fixture(scope="module")
def backend_env() -> Iterator[dict[str, str]]:
    """The served process's environment: this run's backend, a fresh database, and no trace of the tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANTAU_", "PYTHON"))}
    env["PANTAU_BOOTSTRAP_ADMIN"] = f"{ADMIN['username']}:{ADMIN['password']}"
    with ExitStack() as stack:
        if backend() == "postgres":
            env["PANTAU_DATABASE_URL"] = stack.enter_context(postgres_database())
            env.update(PANTAU_REDIS_URL=REDIS_URL, PANTAU_REDIS_PREFIX=redis_prefix())
        yield env


@pytest.fixture(scope="module")
async def served(installed: Installed, backend_env: dict[str, str]) -> AsyncIterator[AppProcess]:
    # On SQLite the default database, sqlite:///pantau.db, is a new file in the working directory.
    process = AppProcess(
        backend_env, free_port(), program=(str(installed.venv / "bin" / "pantau"),), cwd=installed.elsewhere
    )
    try:
        yield await process.start()
    finally:
        await process.stop()


async def test_pantau_serves_from_the_installed_wheel_in_another_folder(served, installed):
    base = f"http://{served.address}"
    async with httpx.AsyncClient(base_url=base, timeout=20) as http:
        login = await http.get("/login")
        assert login.status_code == 200 and login.headers["content-type"].startswith("text/html")
        assert '<html lang="id">' in login.text and "Masuk ke Pantau" in login.text
        english = await http.get("/login", headers={"accept-language": "en"})
        assert "Sign in to Pantau" in english.text  # the English catalogue shipped and was compiled

        help_page = await http.get("/help")
        assert help_page.status_code == 200 and help_page.headers["content-type"].startswith("text/html")
        assert '<html lang="id">' in help_page.text and "· Pantau</title>" in help_page.text

        css = await http.get("/static/app.css")
        assert css.status_code == 200 and css.content == (ROOT / "web" / "static" / "app.css").read_bytes()

        signed_in = await http.post("/api/v1/auth/token", data=ADMIN)
        assert signed_in.status_code == 200, signed_in.text
        auth = {"authorization": f"Bearer {signed_in.json()['access_token']}"}
        unit = await http.post("/api/v1/units", json={"name": "Dinas Roda"}, headers=auth)
        assert unit.status_code == 201, unit.text
        unit_id = unit.json()["id"]

        survey = await http.get(f"/survey/{unit_id}")
        assert survey.status_code == 200 and "Survei Kepuasan Masyarakat" in survey.text
        assert "Dinas Roda" in survey.text

    async with open_board(served.address, "unit", unit_id, headers={**auth, "origin": base}) as ws:
        first = await receive(ws)
    assert first["type"] == "snapshot" and first["scope"] == f"unit:{unit_id}"
    if backend() == "sqlite":
        assert (installed.elsewhere / "pantau.db").is_file()  # migrated from the wheel's migrations


async def test_the_image_and_compose_health_checks_pass_against_the_served_wheel(served, installed):
    in_compose = compose()["services"]["app"]["healthcheck"]["test"]
    assert in_compose[0] == "CMD"
    # `python` is the image's; here it is the venv's the wheel was installed into.
    env = {"PATH": f"{installed.venv / 'bin'}:/usr/bin:/bin"}
    for command in (dockerfile_healthcheck(), in_compose[1:]):
        assert command[0] == "python"
        command = [part.replace("127.0.0.1:8000", served.address) for part in command]
        assert any(served.address in part for part in command)
        done = subprocess.run(command, env=env, cwd=installed.elsewhere, capture_output=True, timeout=30)
        assert done.returncode == 0, done.stderr

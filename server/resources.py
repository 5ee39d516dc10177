"""Where the files that ship inside the package are: the templates, static files and message catalogues
(the package `server.web`, the source tree's web/ folder) and the database migrations.

They are found through importlib.resources, so the wheel installed anywhere and the editable install of the
source tree find them the same way; nothing here knows where a source tree is. Jinja2's loader, Starlette's
StaticFiles and Alembic read folders from the file system: Pantau is installed unzipped (pip always does),
so each of these is a real folder, checked once when the module is imported."""

from importlib.resources import files
from pathlib import Path


def _folder(package: str, *parts: str) -> Path:
    found = files(package).joinpath(*parts)
    if not isinstance(found, Path) or not found.is_dir():
        raise RuntimeError(f"{package} has no folder {'/'.join(parts)} ({found}); reinstall Pantau")
    return found


TEMPLATES = _folder("server.web", "templates")
STATIC = _folder("server.web", "static")
LOCALES = _folder("server.web", "locale")
MIGRATIONS = _folder("server", "migrations")


def catalogue(locale: str) -> Path:
    """The message catalogue (.po) of `locale`."""
    return LOCALES / locale / "LC_MESSAGES" / "messages.po"

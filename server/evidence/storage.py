"""Evidence files on disk, named by the SHA-256 of their content, under the media folder
(Settings.media_path, PANTAU_MEDIA_DIR) in a two-level fan-out: `ab/abcdef…`.

A file is written once and never changes: its name is its content. So a file is written whole under a
temporary name and renamed into place (os.replace, atomic on one filesystem): a reader, another replica
sharing the folder, or a backup never sees half a file, and saving the same bytes twice is harmless. The
only names ever built are 64 lowercase hex digits, so no path from outside can reach another folder."""

import hashlib
import os
import re
import tempfile
from pathlib import Path

from server.config import get_settings

FILE_MODE = 0o640
FOLDER_MODE = 0o750
_HASH = re.compile(r"[0-9a-f]{64}")


def media_root() -> Path:
    """The media folder of this process's settings (made on first save)."""
    return get_settings().media_path


def is_hash(name: str) -> bool:
    return _HASH.fullmatch(name) is not None


def path_of(sha256: str, *, root: Path | None = None) -> Path:
    """Where the file with this content hash lives (whether or not it exists). ValueError for anything
    but a SHA-256 in lowercase hex: no other name can be turned into a path."""
    if not is_hash(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return (root if root is not None else media_root()) / sha256[:2] / sha256


def save(data: bytes, *, root: Path | None = None) -> str:
    """Store `data` (once) and return its SHA-256; blocking file I/O, for a worker thread."""
    sha256 = hashlib.sha256(data).hexdigest()
    write_file(path_of(sha256, root=root), data)
    return sha256


def write_file(
    path: Path, data: bytes, *, file_mode: int = FILE_MODE, folder_mode: int = FOLDER_MODE
) -> None:
    """Put `data` at `path` atomically, unless a file is there already (its content is the same: the
    name says so). An existing file's modification time is renewed: housekeeping removes only files no
    row uses that have not been saved again lately (server/evidence/cleanup.py)."""
    if path.exists():
        try:
            os.utime(path)
            return
        except FileNotFoundError:  # removed by housekeeping a moment ago: write it again
            pass
    for folder in (path.parent.parent, path.parent):
        if not folder.is_dir():
            folder.mkdir(mode=folder_mode, parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{path.name[:8]}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(partial, file_mode)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def remove(sha256: str, *, root: Path | None = None) -> None:
    """Delete a stored file (housekeeping, once no row names it); gone already is fine."""
    path_of(sha256, root=root).unlink(missing_ok=True)


def stored_hashes(root: Path | None = None) -> list[str]:
    """Every stored file's hash (the backup's list); temporary files left by a crash are not among them."""
    root = root if root is not None else media_root()
    if not root.is_dir():
        return []
    found = []
    for fan in sorted(root.iterdir()):
        if len(fan.name) == 2 and fan.is_dir():
            found += [f.name for f in sorted(fan.iterdir()) if is_hash(f.name) and f.name[:2] == fan.name]
    return found

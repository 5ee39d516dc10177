"""Evidence files on disk by content hash (server/evidence/storage.py)."""

import hashlib
import os
import stat
from pathlib import PurePosixPath

import pytest

from server.config import Settings, get_settings
from server.evidence import storage
from tests.test_deploy_files import compose


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_file_is_stored_under_its_hash_in_a_two_level_fan_out(media_dir, umask_022):
    data = b"bukti dukung" * 100
    sha256 = storage.save(data)
    assert sha256 == hashlib.sha256(data).hexdigest()
    path = storage.path_of(sha256)
    assert path == media_dir / sha256[:2] / sha256 and path.read_bytes() == data
    assert _mode(path) == 0o640 and _mode(path.parent) == 0o750 and _mode(media_dir) == 0o750


def test_the_media_folder_comes_from_pantau_media_dir(media_dir):
    assert storage.media_root() == media_dir == get_settings().media_path


def test_the_default_media_folder_is_beside_the_sqlite_file_or_in_the_working_folder(monkeypatch):
    monkeypatch.delenv("PANTAU_MEDIA_DIR")
    assert (
        Settings(database_url="sqlite:////srv/pantau/pantau.db").media_path.as_posix()
        == "/srv/pantau/pantau-media"
    )
    assert Settings(database_url="sqlite:///data/x.sqlite").media_path.as_posix() == "data/x-media"
    assert Settings(database_url="postgresql://pantau@db/pantau").media_path.as_posix() == "pantau-media"
    assert Settings(database_url="postgresql://p@db/p", media_dir="/m").media_path.as_posix() == "/m"


def test_saving_the_same_bytes_twice_keeps_one_file_and_leaves_nothing_behind(media_dir):
    first = storage.save(b"same")
    os.utime(storage.path_of(first), (1_000_000, 1_000_000))
    assert storage.save(b"same") == first
    files = [p for p in media_dir.rglob("*") if p.is_file()]
    assert files == [storage.path_of(first)]
    # Saved again: its time is renewed, so housekeeping leaves it to the upload that is on its way.
    assert storage.path_of(first).stat().st_mtime > 1_000_000


def test_a_failed_write_leaves_neither_a_file_nor_a_temporary_one(media_dir, monkeypatch):
    def broken_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        storage.save(b"never")
    assert [p for p in media_dir.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "ab/../../x",
        "A" * 64,
        "a" * 63,
        "a" * 65,
        "/" + "a" * 63,
        "g" * 64,
        "",
        "a" * 64 + "\n",
    ],
)
def test_no_name_but_a_sha256_in_lowercase_hex_becomes_a_path(name):
    with pytest.raises(ValueError):
        storage.path_of(name)
    with pytest.raises(ValueError):
        storage.remove(name)


def test_the_stored_files_are_listed_without_temporary_or_stray_files(media_dir):
    kept = sorted(storage.save(bytes([n])) for n in range(3))
    (media_dir / kept[0][:2] / ".abc.partial").write_bytes(b"half")
    (media_dir / "notes.txt").write_text("stray")
    assert sorted(storage.stored_hashes()) == kept


def test_the_compose_replicas_share_one_media_volume_at_pantau_media_dir():
    config = compose()
    app = config["services"]["app"]
    media_dir = PurePosixPath(app["environment"]["PANTAU_MEDIA_DIR"])
    [mount] = [v for v in app["volumes"] if v.split(":")[0] == "media"]
    assert "media" in config["volumes"] and media_dir.is_relative_to(mount.split(":")[1])

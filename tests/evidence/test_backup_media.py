"""`pantau backup PATH` keeps the evidence files in PATH.media/ beside the database copy, and `pantau
restore PATH` puts them back (server/backup.py)."""

import os
import shutil
import stat
import subprocess
import sys

from server.evidence import storage
from server.migrate import upgrade


def _pantau(database, *args, media_dir=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")} | {
        "PANTAU_DATABASE_URL": f"sqlite:///{database}"
    }
    if media_dir is not None:
        env["PANTAU_MEDIA_DIR"] = str(media_dir)
    return subprocess.run(
        [sys.executable, "-m", "server", *args], env=env, capture_output=True, text=True, timeout=60
    )


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_backup_and_restore_carry_the_evidence_files(tmp_path):
    live = tmp_path / "live" / "pantau.db"
    live.parent.mkdir()
    upgrade(f"sqlite:///{live}")
    media = tmp_path / "live" / "pantau-media"  # the default: beside the database file
    first = [storage.save(f"photo {n}".encode(), root=media) for n in range(2)]
    target = tmp_path / "backups" / "pantau-backup.db"

    done = _pantau(live, "backup", str(target))

    assert done.returncode == 0, done.stderr
    copy = tmp_path / "backups" / "pantau-backup.db.media"
    assert _files(copy) == _files(media) == sorted(f"{h[:2]}/{h}" for h in first)
    assert "2 copied" in done.stdout
    # Private like the database copy: evidence is seen only by those who may see its project.
    assert stat.S_IMODE(copy.stat().st_mode) == 0o700
    assert stat.S_IMODE(storage.path_of(first[0], root=copy).stat().st_mode) == 0o600

    # Backing up to the same path again copies only what is new.
    later = storage.save(b"photo 2", root=media)
    again = _pantau(live, "backup", str(target))
    assert again.returncode == 0, again.stderr
    assert "1 copied" in again.stdout and "2 there already" in again.stdout
    assert storage.path_of(later, root=copy).read_bytes() == b"photo 2"

    # The machine is lost: a new media folder (named by PANTAU_MEDIA_DIR) gets the files back.
    shutil.rmtree(media)
    new_media = tmp_path / "new-media"
    restored = _pantau(live, "restore", str(target), media_dir=new_media)
    assert restored.returncode == 0, restored.stderr
    assert _files(new_media) == _files(copy)
    assert storage.path_of(later, root=new_media).read_bytes() == b"photo 2"
    assert stat.S_IMODE(storage.path_of(later, root=new_media).stat().st_mode) == storage.FILE_MODE


def test_a_damaged_file_is_reported_and_not_spread(tmp_path):
    live = tmp_path / "pantau.db"
    upgrade(f"sqlite:///{live}")
    media = tmp_path / "pantau-media"
    good, bad = storage.save(b"good", root=media), storage.save(b"bad", root=media)
    storage.path_of(bad, root=media).write_bytes(b"flipped bits")

    done = _pantau(live, "backup", str(tmp_path / "copy.db"))

    assert done.returncode == 0, done.stderr
    assert f"do not match their content hash and were not copied: {bad}" in done.stderr
    assert _files(tmp_path / "copy.db.media") == [f"{good[:2]}/{good}"]


def test_a_backup_without_uploads_has_no_media_folder_and_restores_without_one(tmp_path):
    live = tmp_path / "pantau.db"
    upgrade(f"sqlite:///{live}")
    assert _pantau(live, "backup", str(tmp_path / "copy.db")).returncode == 0
    assert not (tmp_path / "copy.db.media").exists()

    restored = _pantau(live, "restore", str(tmp_path / "copy.db"))

    assert restored.returncode == 0, restored.stderr
    assert "No evidence files to restore" in restored.stdout

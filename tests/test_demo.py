"""`pantau serve --demo` on an empty embedded database: demo data, the URL and the demo logins."""

import sqlite3

import httpx

from tests.services import AppProcess, app_env, free_port, redis_prefix


async def test_serve_demo_prints_url_and_logins_that_work(tmp_path):
    database = tmp_path / "demo.db"
    port = free_port()
    process = await AppProcess(app_env(f"sqlite:///{database}", None, redis_prefix()), port, "--demo").start()
    try:
        output = "\n".join(process.output)
        assert f"Pantau is running at http://localhost:{port}/" in output
        logins = [line.split() for line in process.output if "/ pantau-demo" in line]
        assert len(logins) == 4
        async with httpx.AsyncClient(base_url=f"http://{process.address}") as http:
            for *_, username, _slash, password in logins:
                response = await http.post(
                    "/api/v1/auth/token", data={"username": username, "password": password}
                )
                assert response.status_code == 200, username
    finally:
        await process.stop()
    with sqlite3.connect(database) as db:
        staff = db.execute("SELECT count(*) FROM user").fetchone()[0]
        projects = db.execute("SELECT count(*) FROM project").fetchone()[0]
        late = db.execute(
            "SELECT count(*) FROM milestone WHERE status = 'closed' AND closed_on > due_date"
        ).fetchone()[0]
        on_time = db.execute(
            "SELECT count(*) FROM milestone WHERE status = 'closed' AND closed_on <= due_date"
        ).fetchone()[0]
        answers = db.execute("SELECT count(*) FROM feedback").fetchone()[0]
        # Every evaluation-integrity feature has something to show (issue 11).
        actions = dict(
            db.execute(
                "SELECT action, count(*) FROM history WHERE entity = 'milestone' GROUP BY action"
            ).fetchall()
        )
        pending = db.execute("SELECT count(*) FROM milestone WHERE quality_status = 'pending'").fetchone()[0]
        locked = db.execute("SELECT count(*) FROM period_lock WHERE locked").fetchone()[0]
        excluded = dict(
            db.execute("SELECT status, count(*) FROM feedback WHERE status != 'counted' GROUP BY status")
        )
        holidays = db.execute("SELECT count(*) FROM holiday").fetchone()[0]
        photos = db.execute(
            "SELECT sha256 FROM evidence WHERE update_id IS NOT NULL AND kind = 'photo'"
        ).fetchall()
    assert 30 <= staff <= 60 and 6 <= projects <= 10 and late > 0 and on_time > 0 and answers > 0
    assert actions.get("rescheduled", 0) > 0 and actions.get("corrected", 0) > 0
    assert pending > 0 and locked > 0 and holidays > 0
    assert excluded.get("duplicate", 0) > 0 and excluded.get("suspect", 0) > 0
    # Milestones reported done carry a field photo, kept beside the database by default (issue 14).
    assert len(photos) >= 5
    assert all((tmp_path / "demo-media" / sha[:2] / sha).is_file() for (sha,) in photos)

"""Who may call what: one row per API route and board, one expected status per relationship.

The table is checked against the app itself, so a new route without a row fails
`test_every_route_has_a_row`. A resource the caller may not see is a 404, never a 403."""

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from PIL import Image
from sqlalchemy import update

from server import clock
from server.accounts.models import User
from server.accounts.security import create_access_token
from server.calendar.models import Holiday
from server.calendar.periods import month_of
from server.evidence.service import upload as upload_evidence
from server.feedback.models import FeedbackCreate
from server.feedback.service import record_feedback
from server.performance.dialog import add_entry as add_dialog_entry
from server.projects.models import UpdateCreate
from server.projects.service import post_update
from tests import factories
from tests.factories import PASSWORD
from tests.realtime.boards import close_code, open_board, receive

# The smallest file the evidence check accepts: a PDF is kept as it is.
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(out, "JPEG")
    return out.getvalue()


ACTORS = [
    "anonymous",
    "expired",
    "disabled",
    "admin",
    "leader",
    "sibling_leader",
    "lead",
    "peer_lead",
    "member",
    "outsider",
]
AUTHENTICATED = ACTORS[3:]


def expect(default: int, **overrides: int) -> dict[str, int]:
    """Statuses for every actor: `default` for the signed-in ones, 401 for the three who are not."""
    table = {actor: default for actor in AUTHENTICATED} | {"anonymous": 401, "expired": 401, "disabled": 401}
    return table | overrides


def seen_by_project(ok: int, *, members: int | None = None) -> dict[str, int]:
    """Project routes: those who cannot see the project get 404; those who can but may not act, 403."""
    return expect(
        404,
        admin=ok if members is None else 403,
        leader=ok if members is None else 403,
        lead=ok,
        member=ok if members is None else members,
    )


@dataclass
class Row:
    method: str
    path: str
    expected: dict[str, int]
    body: Any = None
    form: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    params: dict[str, str] = field(default_factory=dict)


def rows() -> list[Row]:
    admin_only = expect(403, admin=0)
    unit_overview = expect(404, admin=200, leader=200)
    performance_readers = expect(404, admin=200, leader=200, lead=200, member=200)
    # The member's rater is their supervisor (the lead); an admin and the member themselves may not rate.
    raters = expect(404, admin=403, leader=403, lead=200, member=403)
    return [
        Row("POST", "/api/v1/auth/token", expect(200, anonymous=422, expired=200, disabled=401), form={}),
        Row("GET", "/api/v1/me", expect(200)),
        Row("GET", "/api/v1/me/team", expect(200)),
        # Notifications: each person's own (server/notifications/routes.py).
        Row("GET", "/api/v1/me/notifications", expect(200)),
        Row("POST", "/api/v1/me/notifications/read", expect(200), body={}),
        Row("GET", "/api/v1/me/notification-preferences", expect(200)),
        Row(
            "PUT",
            "/api/v1/me/notification-preferences",
            expect(200),
            body={"preferences": {"blocker": "in_app"}},
        ),
        # Signed in, everyone reaches the check of the (here empty) body.
        Row("POST", "/api/v1/me/password", expect(422), body={}),
        Row("GET", "/api/v1/units", expect(200)),
        Row("POST", "/api/v1/units", admin_only | {"admin": 201}, body={"name": "Bidang Baru"}),
        Row("PATCH", "/api/v1/units/{bidang}", admin_only | {"admin": 200}, body={"population": 900}),
        Row("POST", "/api/v1/users", admin_only | {"admin": 201}, body="new_user"),
        Row("GET", "/api/v1/users", expect(403, admin=200, leader=200, sibling_leader=200)),
        Row("PATCH", "/api/v1/users/{member}", admin_only | {"admin": 200}, body={"name": "Nama Baru"}),
        Row("POST", "/api/v1/users/first-passwords", admin_only | {"admin": 200}, body={"user_ids": []}),
        Row(
            "POST",
            "/api/v1/users/import",
            admin_only | {"admin": 200},
            params={"dry_run": "true"},
            files={
                "file": (
                    "pegawai.csv",
                    b"NIP,Nama,Unit\n198703102012011005,Sari,Bidang Pelayanan\n",
                    "text/csv",
                )
            },
        ),
        Row("GET", "/api/v1/projects", expect(200)),
        Row("POST", "/api/v1/projects", expect(403, admin=201, leader=201), body="new_project"),
        Row("GET", "/api/v1/projects/{project}", seen_by_project(200)),
        Row(
            "POST",
            "/api/v1/projects/{project}/members",
            seen_by_project(201) | {"member": 403},
            body="outsider_id",
        ),
        # A member with no open work: one who is an assignee of an open milestone is reassigned first (409).
        Row("DELETE", "/api/v1/projects/{project}/members/{leaving}", seen_by_project(204) | {"member": 403}),
        Row(
            "PATCH",
            "/api/v1/projects/{project}",
            seen_by_project(200) | {"member": 403},
            body={"name": "Nama Baru"},
        ),
        Row("POST", "/api/v1/projects/{project}/archive", seen_by_project(200) | {"member": 403}),
        Row("POST", "/api/v1/projects/{project}/unarchive", seen_by_project(409) | {"member": 403}),
        Row(
            "POST",
            "/api/v1/projects/{project}/milestones",
            seen_by_project(201, members=403),
            body="milestone",
        ),
        Row("PATCH", "/api/v1/milestones/{milestone}", seen_by_project(200, members=403), body="reschedule"),
        Row(
            "POST",
            "/api/v1/milestones/{milestone}/close",
            seen_by_project(200, members=403),
            body={"quality": 4},
        ),
        # The lead's rater (world.leader, the lead's supervisor) may score; the open milestone is not pending.
        Row(
            "POST",
            "/api/v1/milestones/{milestone}/quality",
            expect(404, admin=403, leader=409, lead=403, member=403),
            body={"quality": 4, "note": "Sesuai rencana kerja"},
        ),
        # Only an admin corrects the due date of an open milestone (the lead reschedules it).
        Row(
            "POST",
            "/api/v1/milestones/{milestone}/correct",
            expect(404, admin=200, leader=403, lead=403, member=403),
            body="correction",
        ),
        Row("GET", "/api/v1/holidays", expect(200)),
        Row(
            "PUT", "/api/v1/holidays/{holiday}", admin_only | {"admin": 200}, body={"name": "Hari Raya Natal"}
        ),
        Row("DELETE", "/api/v1/holidays/{holiday}", admin_only | {"admin": 204}),
        Row(
            "POST",
            "/api/v1/projects/{project}/updates",
            seen_by_project(201, members=201) | {"admin": 403, "leader": 403},
            body="update",
        ),
        Row("GET", "/api/v1/projects/{project}/updates", seen_by_project(200)),
        Row("GET", "/api/v1/projects/{project}/blockers", seen_by_project(200)),
        # The member's open blocker: a leader of the unit (or above) or an admin acknowledges it; its
        # author, the project lead or an admin resolves it.
        Row(
            "POST",
            "/api/v1/updates/{blocker}/blocker/acknowledge",
            seen_by_project(403) | {"admin": 200, "leader": 200},
        ),
        Row(
            "POST",
            "/api/v1/updates/{blocker}/blocker/resolve",
            seen_by_project(403) | {"admin": 200, "lead": 200, "member": 200},
            body={"note": "Printer sudah diganti"},
        ),
        # Answers to the member's update: a leader of the unit (or above), the lead or an admin; the
        # author only replies (a comment).
        Row(
            "POST",
            "/api/v1/updates/{blocker}/seen",
            seen_by_project(403) | {"admin": 200, "leader": 200, "lead": 200},
        ),
        Row(
            "PUT",
            "/api/v1/updates/{blocker}/reaction",
            seen_by_project(403) | {"admin": 200, "leader": 200, "lead": 200},
            body={"reaction": "thumbs_up"},
        ),
        Row(
            "DELETE",
            "/api/v1/updates/{blocker}/reaction",
            seen_by_project(403) | {"admin": 200, "leader": 200, "lead": 200},
        ),
        Row("POST", "/api/v1/updates/{blocker}/comments", seen_by_project(201), body={"text": "Bagus"}),
        Row("GET", "/api/v1/updates/{blocker}/responses", seen_by_project(200)),
        # Anyone signed in may upload; the item is theirs alone until a post of theirs names it.
        Row("POST", "/api/v1/evidence", expect(201), files={"file": ("laporan.pdf", PDF, "application/pdf")}),
        # A photo on the member's update: as its project (hidden ones: the lead, admins, the uploader).
        Row("GET", "/api/v1/evidence/{evidence}", seen_by_project(200)),
        Row("GET", "/api/v1/evidence/{evidence}/thumbnail", seen_by_project(200)),
        Row(
            "POST",
            "/api/v1/evidence/{evidence}/hide",
            seen_by_project(200, members=403) | {"admin": 200},
            body={"reason": "Foto memuat data pribadi warga"},
        ),
        Row("GET", "/api/v1/projects/{project}/evidence", seen_by_project(200)),
        Row("GET", "/api/v1/feedback/token", dict.fromkeys(ACTORS, 200), params={"unit_id": "{bidang}"}),
        Row("POST", "/api/v1/feedback", dict.fromkeys(ACTORS, 201), body="feedback"),
        Row("GET", "/api/v1/feedback/answers", admin_only | {"admin": 200}),
        Row("POST", "/api/v1/feedback/{answer}/exclude", admin_only | {"admin": 200}, body="review"),
        Row("POST", "/api/v1/feedback/{answer}/clear", admin_only | {"admin": 409}, body="review"),
        Row("GET", "/api/v1/units/{bidang}/ikm", dict.fromkeys(ACTORS, 200)),
        Row("GET", "/api/v1/users/{member}/performance", performance_readers),
        Row("PUT", "/api/v1/users/{member}/behaviour", raters, body={"rating": "meets"}),
        Row(
            "PUT",
            "/api/v1/users/{member}/evaluation",
            raters,
            body={"hasil_kerja": "meets", "reason": "dialog kinerja"},
        ),
        Row("GET", "/api/v1/units/{bidang}/targets", unit_overview),
        Row(
            "PUT",
            "/api/v1/units/{bidang}/targets",
            admin_only | {"admin": 200},
            body={"targets": {"quality": {"target": 4}}},
        ),
        # An admin or a leader of the unit one level above (the Kepala Dinas for the bidang).
        Row(
            "PUT",
            "/api/v1/units/{bidang}/organisation-result",
            admin_only | {"admin": 200, "leader": 200},
            body={"result": "Baik"},
        ),
        Row("GET", "/api/v1/periods", expect(200), params={"year": "2026"}),
        Row("POST", "/api/v1/periods/{period}/lock", admin_only | {"admin": 200}),
        Row(
            "POST",
            "/api/v1/periods/{period}/unlock",
            admin_only | {"admin": 200},
            body={"reason": "Koreksi data penilaian"},
        ),
        # Dialog kinerja: the member and their rater (the lead) write, the lead's chain (the leader) and
        # admins read; the member replies but writes no note, and only the author edits an entry.
        Row("GET", "/api/v1/users/{member}/dialog", performance_readers),
        Row("POST", "/api/v1/users/{member}/dialog", raters | {"lead": 201}, body="dialog_note"),
        Row("PATCH", "/api/v1/dialog/{dialog}", raters, body={"text": "Catatan diperbaiki"}),
        Row("GET", "/api/v1/units/{bidang}/distribution", unit_overview),
        Row("GET", "/api/v1/units/{bidang}/performance.csv", unit_overview),
        Row("GET", "/api/v1/units/{bidang}/performance.xlsx", unit_overview),
        Row(
            "WS",
            "/ws/board/unit/{dinas}",
            expect(4404, admin=0, leader=0) | {"anonymous": 4401, "expired": 4401, "disabled": 4401},
        ),
        Row(
            "WS",
            "/ws/board/project/{project}",
            {a: (0 if s == 200 else 4404 if s == 404 else 4401) for a, s in seen_by_project(200).items()},
        ),
        # The bell's board: its owner only (not even an admin).
        Row(
            "WS",
            "/ws/board/user/{member}",
            expect(4404, member=0) | {"anonymous": 4401, "expired": 4401, "disabled": 4401},
        ),
    ]


def route_templates(app) -> set[tuple[str, str]]:
    # Included routers are wrapped (FastAPI ≥ 0.12x): iter_route_contexts walks into them.
    found = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path.startswith("/api/v1"):
            found |= {(method, context.path) for method in context.methods or ()}
        elif isinstance(route, APIWebSocketRoute) and context.path != "/{path:path}":
            # (The catch-all socket only refuses unknown addresses with 4404.)
            found.add(("WS", context.path))
    assert found, "no routes found: the route walk no longer matches FastAPI's route objects"
    return found


def covered(row: Row) -> set[tuple[str, str]]:
    generic = {
        "{bidang}": "{unit_id}",
        "{dinas}": "{unit_id}",
        "{project}": "{project_id}",
        "{milestone}": "{milestone_id}",
        "{holiday}": "{day}",
        "{answer}": "{feedback_id}",
        "{blocker}": "{update_id}",
        "{dialog}": "{entry_id}",
        "{evidence}": "{evidence_id}",
    }
    path = row.path
    for name, param in generic.items():
        path = path.replace(name, param)
    path = path.replace("/members/{leaving}", "/members/{user_id}").replace(
        "/users/{member}", "/users/{user_id}"
    )
    if row.method == "WS":
        path = (
            path.replace("/unit/{unit_id}", "/{kind}/{board_id}")
            .replace("/project/{project_id}", "/{kind}/{board_id}")
            .replace("/user/{member}", "/{kind}/{board_id}")
        )
    return {(row.method, path)}


async def test_every_route_has_a_row(app):
    listed = set().union(*(covered(r) for r in rows()))
    missing = route_templates(app) - listed
    assert not missing, f"routes without an authorization row: {sorted(missing)}"


@pytest.mark.parametrize("row", rows(), ids=lambda r: f"{r.method} {r.path}")
@pytest.mark.parametrize("actor", ACTORS)
async def test_authorization(row: Row, actor: str, client, world, runtime, setup, live_server):
    async with runtime.transaction() as db:
        peer = await factories.make_user(
            db, unit=world.bidang, supervisor_id=world.leader.id, name="Ketua Tim Lain"
        )
        await factories.make_project(db, by=world.admin, unit=world.bidang, lead=peer)
        disabled = await factories.make_user(db, unit=world.bidang)
        leaving = await factories.make_user(db, unit=world.bidang)
        await factories.add_member(db, project=setup.project, user=leaving, by=world.admin)
        await db.execute(update(User).where(User.id == disabled.id).values(is_active=False))
    people = {
        "admin": world.admin,
        "leader": world.leader,
        "sibling_leader": world.sibling_leader,
        "lead": world.lead,
        "peer_lead": peer,
        "member": world.member,
        "outsider": world.outsider,
        "disabled": disabled,
        "expired": world.member,
    }
    headers = {}
    if actor in people:
        issued = clock.now() - timedelta(hours=2) if actor == "expired" else clock.now()
        clock.freeze(issued)
        person = people[actor]
        token = create_access_token(person.id, runtime.secret_key, 60, epoch=person.credentials_epoch)
        headers = {"Authorization": f"Bearer {token}"}
        clock.freeze(None)
    names = {
        "bidang": world.bidang.id,
        "dinas": world.dinas.id,
        "project": setup.project.id,
        "milestone": setup.milestone.id,
        "member": world.member.id,
        "leaving": leaving.id,
        "period": "2020-01",  # long ended: it may be locked
        "holiday": "2026-12-25",
    }
    if "{holiday}" in row.path:  # a holiday in the calendar, for the admin to rename or remove
        async with runtime.transaction() as db:
            db.add(Holiday(date=date(2026, 12, 25), name="Natal"))
    if "{blocker}" in row.path:  # an update of the member's that reports a blocker, still open
        async with runtime.transaction() as db:
            data = UpdateCreate(milestone_id=setup.milestone.id, progress_pct=10, blockers="Printer rusak")
            posted = await post_update(db, by=world.member, project_id=setup.project.id, data=data)
            names["blocker"] = posted.id
    if "{evidence}" in row.path:  # a photo the member attached to an update
        async with runtime.transaction() as db:
            photo = await upload_evidence(db, by=world.member, data=_jpeg(), filename="foto.jpg")
            data = UpdateCreate(milestone_id=setup.milestone.id, progress_pct=10, evidence_ids=[photo.id])
            await post_update(db, by=world.member, project_id=setup.project.id, data=data)
            names["evidence"] = photo.id
    if "{dialog}" in row.path:  # a note of the member's rater (the lead) in this month's dialog
        async with runtime.transaction() as db:
            rater = await db.get(User, world.lead.id)
            subject = await db.get(User, world.member.id)
            entry = await add_dialog_entry(
                db, by=rater, subject=subject, period=month_of(clock.today()), kind="note", text="Catatan"
            )
            names["dialog"] = entry.id
    if "{answer}" in row.path:  # a counted survey answer: an admin may exclude it, not clear it (409)
        async with runtime.transaction() as db:
            data = FeedbackCreate(unit_id=world.bidang.id, answers=[3] * 9)
            names["answer"] = (await record_feedback(db, data=data)).id
    path = row.path.format(**names)
    expected = row.expected[actor]

    if row.method == "WS":
        async with open_board(live_server, *path.split("/")[3:5], headers) as ws:
            if expected == 0:
                assert (await receive(ws))["type"] == "snapshot"
            else:
                assert await close_code(ws) == expected
        return

    body = _body(row.body, world, names)
    if row.body == "feedback":  # every answer spends a fresh single-use token
        body["token"] = (
            await client.get("/api/v1/feedback/token", params={"unit_id": world.bidang.id})
        ).json()["token"]
    params = {key: value.format(**names) for key, value in row.params.items()}
    kwargs: dict[str, Any] = {"headers": headers, "params": params}
    if row.files is not None:
        kwargs["files"] = row.files
    elif row.form is not None:
        person = people.get(actor)
        kwargs["data"] = {"username": person.username, "password": PASSWORD} if person else {}
    elif body is not None:
        kwargs["json"] = body
    response = await client.request(row.method, path, **kwargs)
    assert response.status_code == expected, (
        f"{actor} {row.method} {path}: {response.status_code} {response.text[:200]}"
    )


def _body(kind: Any, world, names: dict[str, int]) -> Any:
    today = clock.today()
    built = {
        "new_user": {
            "username": "baru",
            "password": "sandi-panjang-1",
            "name": "Baru",
            "nip": "199001012015032099",
            "role": "staff",
            "unit_id": world.bidang.id,
        },
        "new_project": {
            "name": "Baru",
            "unit_id": world.bidang.id,
            "lead_id": world.lead.id,
            "start_date": today.isoformat(),
            "due_date": (today + timedelta(days=30)).isoformat(),
        },
        "outsider_id": {"user_id": world.outsider.id},
        "milestone": {"title": "Baru", "due_date": today.isoformat(), "assignee_ids": [world.member.id]},
        "reschedule": {
            "due_date": (today + timedelta(days=40)).isoformat(),
            "reason": "Cuaca buruk di lapangan",
        },
        "correction": {
            "due_date": (today + timedelta(days=9)).isoformat(),
            "reason": "Tenggat salah diketik",
        },
        "update": {"milestone_id": names["milestone"], "progress_pct": 10},
        "feedback": {"unit_id": world.bidang.id, "answers": [3] * 9},
        "review": {"reason": "Diperiksa untuk uji hak akses"},
        "dialog_note": {"period": str(month_of(today)), "kind": "note", "text": "Catatan dialog kinerja"},
    }
    return built.get(kind, kind) if isinstance(kind, str) else kind

"""`pantau serve --demo`: the regency of Bukitintan, so that every page shows something real at first start.

The loader walks through the last ten weeks with the clock set to each moment and calls the same
service functions the API calls, so the demo history (updates, reschedules, closings, board events)
is exactly what real use would have produced."""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server import clock
from server.accounts.models import Role, Unit, UnitCreate, User, UserCreate
from server.accounts.security import hash_password
from server.accounts.service import create_unit, create_user
from server.calendar.holidays import set_holiday
from server.calendar.locks import lock_period
from server.calendar.models import HolidaySet
from server.calendar.periods import month_of
from server.config import Settings
from server.demo_data import (
    BLOCKERS,
    FIRST_NAMES,
    FIXED_HOLIDAYS,
    HOLIDAYS_2026,
    LAST_NAMES,
    NOTES,
    ORGANISATION,
    PROJECTS,
    RESOLUTIONS,
)
from server.demo_photos import demo_evidence
from server.feedback.integrity import SUSPECT_AFTER, origin_of
from server.feedback.models import FeedbackCreate
from server.feedback.service import record_feedback
from server.performance.models import BehaviourSet, EvaluationSet
from server.performance.service import set_behaviour, set_evaluation
from server.projects import blockers as blocker_service
from server.projects import service as projects
from server.projects.corrections import correct_milestone
from server.projects.models import (
    BlockerResolve,
    MemberAdd,
    MilestoneClose,
    MilestoneCorrect,
    MilestoneCreate,
    MilestoneReschedule,
    ProgressUpdate,
    ProjectCreate,
    UpdateCreate,
)
from server.runtime import Runtime

DEMO_PASSWORD = "pantau-demo"


@dataclass
class Demo:
    rng: random.Random
    today: date
    # The real moment the demo is loaded: nothing in it may happen later than this.
    started: datetime
    units: list[tuple[Unit, list[Unit]]] = field(default_factory=list)
    people: dict[int, list[User]] = field(default_factory=dict)  # unit id -> staff
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    serial: int = 0
    password_hash: str = field(default_factory=lambda: hash_password(DEMO_PASSWORD))

    def nip(self, sex: int) -> str:
        self.serial += 1
        birth = date(self.rng.randint(1968, 1997), self.rng.randint(1, 12), self.rng.randint(1, 28))
        appointed_year = birth.year + self.rng.randint(22, 28)
        return f"{birth:%Y%m%d}{appointed_year}{self.rng.randint(1, 12):02d}{sex}{self.serial % 1000:03d}"

    def name(self) -> tuple[str, int]:
        first = self.rng.choice(FIRST_NAMES)
        sex = (
            2
            if first
            in {
                "Siti",
                "Dewi",
                "Ratna",
                "Wulan",
                "Intan",
                "Maya",
                "Lestari",
                "Nur",
                "Fitri",
                "Rina",
                "Sari",
                "Putri",
                "Ayu",
                "Indah",
                "Kartika",
                "Melati",
                "Yuni",
                "Nadia",
            }
            else 1
        )
        return f"{first} {self.rng.choice(LAST_NAMES)}", sex


def _at(day: date, hour: int) -> datetime:
    """A moment on `day` at `hour` o'clock WIB, as UTC."""
    return datetime.combine(day, time(hour), tzinfo=clock.JAKARTA).astimezone(clock.UTC)


async def _person(
    session: AsyncSession, demo: Demo, *, unit: Unit, role: Role, username: str, supervisor: User | None
) -> User:
    name, sex = demo.name()
    return await create_user(
        session,
        password_hash=demo.password_hash,
        data=UserCreate(
            username=username,
            password=DEMO_PASSWORD,
            name=name,
            nip=demo.nip(sex),
            role=role,
            unit_id=unit.id,
            supervisor_id=supervisor.id if supervisor else None,
        ),
    )


async def _organisation(session: AsyncSession, demo: Demo) -> User:
    admin_unit_index = 3
    admin: User | None = None
    for index, (opd_name, population, bidang_names) in enumerate(ORGANISATION):
        opd = await create_unit(session, data=UnitCreate(name=opd_name, population=population))
        bidang = [await create_unit(session, data=UnitCreate(name=n, parent_id=opd.id)) for n in bidang_names]
        demo.units.append((opd, bidang))
        head = await _person(
            session, demo, unit=opd, role=Role.leader, username=f"kadis{index + 1}", supervisor=None
        )
        if index == 0:
            demo.logins.append(("Pimpinan (Kepala Dinas)", head.username, DEMO_PASSWORD))
        if index == admin_unit_index:
            admin = await _person(session, demo, unit=opd, role=Role.admin, username="admin", supervisor=head)
        for b_index, unit in enumerate(bidang):
            chief = await _person(
                session,
                demo,
                unit=unit,
                role=Role.leader,
                username=f"kabid{index + 1}{b_index + 1}",
                supervisor=head,
            )
            staff = [
                await _person(
                    session,
                    demo,
                    unit=unit,
                    role=Role.staff,
                    username=f"asn{index + 1}{b_index + 1}{n + 1}",
                    supervisor=chief,
                )
                for n in range(demo.rng.randint(5, 7))
            ]
            demo.people[unit.id] = staff
    assert admin is not None
    demo.logins.append(("Operator BKPSDM (admin)", admin.username, DEMO_PASSWORD))
    return admin


async def _project(runtime: Runtime, demo: Demo, admin: User, spec: tuple) -> None:
    opd_index, bidang_index, name, milestone_specs = spec
    unit = demo.units[opd_index][1][bidang_index]
    staff = demo.people[unit.id]
    lead, members = staff[0], staff[1:5]
    start = demo.today - timedelta(days=60)
    if spec is PROJECTS[0]:
        demo.logins.append(("Ketua tim (lead)", lead.username, DEMO_PASSWORD))
        demo.logins.append(("ASN (staff)", members[0].username, DEMO_PASSWORD))
    clock.freeze(_at(start, 8))
    async with runtime.transaction() as session:
        project = await projects.create_project(
            session,
            by=admin,
            data=ProjectCreate(
                name=name,
                description=f"Program prioritas {unit.name}.",
                unit_id=unit.id,
                lead_id=lead.id,
                start_date=start,
                due_date=demo.today + timedelta(days=50),
            ),
        )
        for member in members:
            await projects.add_member(
                session, by=lead, project_id=project.id, data=MemberAdd(user_id=member.id)
            )
        milestones = []
        for title, weight, offset, plan in milestone_specs:
            assignees = demo.rng.sample([m.id for m in members], k=2)
            if plan == "self":
                assignees = [lead.id, assignees[0]]
            created = await projects.create_milestone(
                session,
                by=lead,
                project_id=project.id,
                data=MilestoneCreate(
                    title=title,
                    weight=weight,
                    due_date=demo.today + timedelta(days=offset),
                    assignee_ids=assignees,
                ),
            )
            milestones.append((created, plan, members))
    await _history(runtime, demo, project.id, lead, milestones)


async def _history(runtime: Runtime, demo: Demo, project_id: int, lead: User, milestones: list) -> None:
    """Progress every few days until each milestone's fate: closed on time, late, moved, or still open."""
    for milestone, plan, members in milestones:
        posters = [m for m in members if m.id in milestone.assignee_ids] or members
        finish = {
            "ontime": milestone.due_date - timedelta(days=demo.rng.randint(1, 4)),
            "self": milestone.due_date - timedelta(days=1),
            "late": milestone.due_date + timedelta(days=demo.rng.randint(3, 9)),
            "corrected": milestone.due_date + timedelta(days=8),
        }.get(plan)
        begin = max(demo.today - timedelta(days=58), milestone.due_date - timedelta(days=30))
        last_day = min(finish or demo.today, demo.today)
        days = max(1, (last_day - begin).days)
        target = 100 if finish else demo.rng.choice([35, 55, 70, 85])
        progress = 0
        for step in range(1, 6):
            day = begin + timedelta(days=days * step // 6)
            if day > demo.today:
                break
            progress = min(100 if finish else target, progress + max(5, target * step // 5 - progress))
            clock.freeze(min(_at(day, demo.rng.randint(8, 16)), demo.started))
            poster = demo.rng.choice(posters)
            async with runtime.transaction() as session:
                # The closing report of a milestone comes with its evidence, as it would in the field.
                evidence = (
                    await demo_evidence(session, demo.rng, by=poster, caption=milestone.title)
                    if progress == 100 or step == 5
                    else []
                )
                await projects.post_update(
                    session,
                    by=poster,
                    project_id=project_id,
                    data=UpdateCreate(
                        milestone_id=milestone.id,
                        progress_pct=progress,
                        note=demo.rng.choice(NOTES),
                        blockers=demo.rng.choice(BLOCKERS),
                        evidence_ids=evidence,
                    ),
                )
            if plan == "moved" and step == 3:
                async with runtime.transaction() as session:
                    await projects.reschedule_milestone(
                        session,
                        by=lead,
                        milestone_id=milestone.id,
                        data=MilestoneReschedule(
                            due_date=milestone.due_date + timedelta(days=21),
                            reason="Jadwal pelatihan bergeser karena rapat koordinasi provinsi",
                        ),
                    )
        if finish and finish <= demo.today:
            clock.freeze(_at(finish, 15))
            async with runtime.transaction() as session:
                await projects.close_milestone(
                    session,
                    by=lead,
                    milestone_id=milestone.id,
                    data=MilestoneClose(
                        closed_on=finish, quality=demo.rng.choice([3, 4, 4, 5]), note="Diperiksa ketua tim"
                    ),
                )
            if plan == "corrected":
                clock.freeze(_at(min(finish + timedelta(days=2), demo.today), 9))
                async with runtime.transaction() as session:
                    await correct_milestone(
                        session,
                        by=lead,
                        milestone_id=milestone.id,
                        data=MilestoneCorrect(
                            closed_on=finish - timedelta(days=3),
                            reason="Berita acara serah terima ditandatangani tiga hari lebih awal",
                        ),
                    )


async def _settle_blockers(runtime: Runtime, demo: Demo) -> None:
    """As in a working office, a blocker is resolved by its author a few days after it was reported: only
    each person's newest, when reported in the last ten days, is still open (a home shows one or two, not
    two months of them)."""
    async with runtime.sessionmaker() as session:
        found = await session.scalars(
            select(ProgressUpdate)
            .where(col(ProgressUpdate.blocker_status) == "open")
            .order_by(col(ProgressUpdate.created_at).desc(), col(ProgressUpdate.id).desc())
        )
        rows = [(u.id, u.author_id, u.created_at) for u in found]
    recent = demo.started - timedelta(days=10)
    kept: set[int] = set()
    for update_id, author_id, opened in rows:
        opened = opened if opened.tzinfo else opened.replace(tzinfo=clock.UTC)  # SQLite gives naive UTC
        if author_id not in kept and opened >= recent:
            kept.add(author_id)
            continue
        later = timedelta(days=demo.rng.randint(1, 4), hours=demo.rng.randint(1, 6))
        clock.freeze(max(opened, min(opened + later, demo.started)))
        async with runtime.transaction() as session:
            author = await session.get(User, author_id)
            assert author is not None
            update = await session.get(ProgressUpdate, update_id)
            assert update is not None
            await blocker_service.resolve(
                session,
                by=author,
                update_id=update_id,
                data=BlockerResolve(note=RESOLUTIONS.get(update.blockers or "", "Sudah teratasi")),
            )


async def _survey(runtime: Runtime, demo: Demo) -> None:
    """Citizens' answers at the counters over the last two months, some naming the officer who served them."""
    for _opd, bidang in demo.units[:3]:
        for unit in bidang:
            staff = demo.people[unit.id]
            mood = demo.rng.choice([(2, 4), (3, 4), (2, 3)])  # each unit has its own typical range
            for _ in range(demo.rng.randint(18, 30)):
                day = demo.today - timedelta(days=demo.rng.randint(0, 55))
                clock.freeze(min(_at(day, demo.rng.randint(8, 15)), demo.started))
                answers = [demo.rng.randint(*mood) for _ in range(9)]
                named = demo.rng.choice(staff[1:5]) if demo.rng.random() < 0.6 else None
                async with runtime.transaction() as session:
                    await record_feedback(
                        session,
                        data=FeedbackCreate(
                            unit_id=unit.id,
                            employee_id=named.id if named else None,
                            answers=answers,
                            comment=demo.rng.choice(
                                [None, None, "Pelayanan cepat", "Antrean terlalu panjang", "Petugas ramah"]
                            ),
                        ),
                    )


async def _excluded_answers(runtime: Runtime, demo: Demo) -> None:
    """Answers the survey stores but does not count: one browser answering twice for a unit on one day
    (a duplicate), and more than SUSPECT_AFTER answers naming one officer from one address in a day."""
    unit = demo.units[0][1][0]
    officer = demo.people[unit.id][1]
    day = demo.today - timedelta(days=4)
    for n in range(SUSPECT_AFTER + 2):
        clock.freeze(_at(day, 10) + timedelta(minutes=n))
        device = "demo-kiosk-1" if n < 2 else f"demo-phone-{n}"
        async with runtime.transaction() as session:
            await record_feedback(
                session,
                data=FeedbackCreate(unit_id=unit.id, employee_id=officer.id, answers=[4] * 9),
                origin=origin_of(
                    runtime.secret_key, at=clock.now(), device_id=device, address="198.51.100.7"
                ),
            )


async def _holidays(runtime: Runtime, demo: Demo, admin: User) -> None:
    year = demo.today.year
    days = [(date(year, month, day), name) for (month, day), name in FIXED_HOLIDAYS]
    days += [(day, name) for day, name in HOLIDAYS_2026 if day.year == year]
    async with runtime.transaction() as session:
        for day, name in sorted(days):
            await set_holiday(session, by=admin, day=day, data=HolidaySet(name=name))


async def _ratings(runtime: Runtime, demo: Demo, admin: User) -> None:
    """The evaluations of the two past months done for the first bidang, so the distribution and
    evaluation pages have data; the older month is then locked by the admin."""
    last_month = month_of(demo.today.replace(day=1) - timedelta(days=1))
    month_before = last_month.previous()
    unit = demo.units[0][1][0]
    clock.freeze(_at(demo.today - timedelta(days=3), 10))
    async with runtime.transaction() as session:
        for period in (month_before, last_month):
            for person in demo.people[unit.id]:
                supervisor = await session.get(User, person.supervisor_id)
                assert supervisor is not None
                await set_behaviour(
                    session,
                    by=supervisor,
                    user_id=person.id,
                    period=period,
                    data=BehaviourSet(rating=demo.rng.choice(["meets", "meets", "above"])),
                )
                await set_evaluation(
                    session,
                    by=supervisor,
                    user_id=person.id,
                    period=period,
                    data=EvaluationSet(
                        hasil_kerja=demo.rng.choice(["meets", "above", "below"]),
                        reason="Penilaian berdasarkan dialog kinerja bulanan",
                    ),
                )
        await lock_period(session, by_id=admin.id, period=month_before)


async def load_demo(settings: Settings, seed: int = 2026) -> list[tuple[str, str, str]]:
    """Fill an empty database with Bukitintan; returns the demo logins, or [] when it had data."""
    runtime = Runtime.create(settings)
    try:
        async with runtime.sessionmaker() as session:
            if await session.scalar(select(Unit.id).limit(1)) is not None:
                return []
        demo = Demo(rng=random.Random(seed), today=clock.today(), started=clock.now())
        real_now = clock.now()
        clock.freeze(real_now - timedelta(days=61))
        async with runtime.transaction() as session:
            admin = await _organisation(session, demo)
        await _holidays(runtime, demo, admin)
        for spec in PROJECTS:
            await _project(runtime, demo, admin, spec)
        await _settle_blockers(runtime, demo)
        await _survey(runtime, demo)
        await _excluded_answers(runtime, demo)
        await _ratings(runtime, demo, admin)
        return demo.logins
    finally:
        clock.freeze(None)
        await runtime.engine.dispose()

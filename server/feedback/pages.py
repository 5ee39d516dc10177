"""The public survey form (SKM): no sign-in, a phone or a counter kiosk, works without JavaScript."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts.models import Unit
from server.accounts.service import get_unit
from server.bodylimit import body_limited_route
from server.deps import RuntimeDep, SessionDep
from server.errors import TooManyRequests
from server.feedback import service
from server.feedback.ikm import ELEMENTS
from server.feedback.models import COMMENT_MAX, FeedbackCreate
from server.feedback.routes import SURVEY_ANSWERS
from server.pages.i18n import N_
from server.pages.render import render
from server.ratelimit import client_address


@dataclass(frozen=True)
class Question:
    code: str
    name: str
    text: str
    # Answer labels for 1 (worst) .. 4 (best).
    options: tuple[str, str, str, str]


# Wording after the sample questionnaire in the appendix of PermenPANRB 14/2017, keyed by element code
# (the sample numbers the complaints and facilities questions the other way round). N_ marks each string
# for extraction; survey.html translates it with _() when the form is drawn.
_WORDING: dict[str, tuple[str, tuple[str, str, str, str]]] = {
    "U1": (
        N_("Bagaimana pendapat Anda tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?"),
        (N_("Tidak sesuai"), N_("Kurang sesuai"), N_("Sesuai"), N_("Sangat sesuai")),
    ),
    "U2": (
        N_("Bagaimana pendapat Anda tentang kemudahan prosedur pelayanan di unit ini?"),
        (N_("Tidak mudah"), N_("Kurang mudah"), N_("Mudah"), N_("Sangat mudah")),
    ),
    "U3": (
        N_("Bagaimana pendapat Anda tentang kecepatan waktu dalam memberikan pelayanan?"),
        (N_("Tidak cepat"), N_("Kurang cepat"), N_("Cepat"), N_("Sangat cepat")),
    ),
    "U4": (
        N_("Bagaimana pendapat Anda tentang kewajaran biaya/tarif dalam pelayanan?"),
        (N_("Sangat mahal"), N_("Cukup mahal"), N_("Murah"), N_("Gratis")),
    ),
    "U5": (
        N_(
            "Bagaimana pendapat Anda tentang kesesuaian hasil pelayanan yang Anda terima dengan yang "
            "tercantum dalam standar pelayanan?"
        ),
        (N_("Tidak sesuai"), N_("Kurang sesuai"), N_("Sesuai"), N_("Sangat sesuai")),
    ),
    "U6": (
        N_("Bagaimana pendapat Anda tentang kompetensi atau kemampuan petugas dalam pelayanan?"),
        (N_("Tidak kompeten"), N_("Kurang kompeten"), N_("Kompeten"), N_("Sangat kompeten")),
    ),
    "U7": (
        N_(
            "Bagaimana pendapat Anda tentang perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?"
        ),
        (
            N_("Tidak sopan dan ramah"),
            N_("Kurang sopan dan ramah"),
            N_("Sopan dan ramah"),
            N_("Sangat sopan dan ramah"),
        ),
    ),
    "U8": (
        N_("Bagaimana pendapat Anda tentang penanganan pengaduan, saran dan masukan pengguna layanan?"),
        (
            N_("Tidak ada"),
            N_("Ada tetapi tidak berfungsi"),
            N_("Berfungsi kurang maksimal"),
            N_("Dikelola dengan baik"),
        ),
    ),
    "U9": (
        N_("Bagaimana pendapat Anda tentang kualitas sarana dan prasarana pelayanan?"),
        (N_("Buruk"), N_("Cukup"), N_("Baik"), N_("Sangat baik")),
    ),
}
QUESTIONS: tuple[Question, ...] = tuple(Question(code, name, *_WORDING[code]) for code, name in ELEMENTS)

# The form is public, so there is no session to bind a CSRF token to. Instead the form carries a token
# signed with the deployment's secret: a post must come from a form this site served for this unit
# within the last day. It keeps other sites from posting answers through visitors' browsers; scripts
# that fetch the form first are what the rate limit is for.
TOKEN_MAX_AGE = timedelta(days=1)
# Processes behind one load balancer may disagree on the time by a little.
TOKEN_CLOCK_SKEW = timedelta(minutes=5)
MAX_FORM_BODY = 32 * 1024  # a 2,000-character comment, percent-encoded, with room to spare
ANSWER_VALUES = ("1", "2", "3", "4")

router = APIRouter(include_in_schema=False, route_class=body_limited_route(MAX_FORM_BODY))


def _signature(secret: str, unit_id: int, stamp: int) -> str:
    message = f"survey:{unit_id}:{stamp}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def survey_token(secret: str, unit_id: int, issued: datetime) -> str:
    stamp = int(issued.timestamp())
    return f"{stamp}.{_signature(secret, unit_id, stamp)}"


def survey_token_valid(secret: str, unit_id: int, token: str, now: datetime) -> bool:
    stamp_text, _, signature = token.partition(".")
    if not stamp_text.isdigit() or len(stamp_text) > 12:
        return False
    age = now.timestamp() - int(stamp_text)
    if not -TOKEN_CLOCK_SKEW.total_seconds() <= age <= TOKEN_MAX_AGE.total_seconds():
        return False
    return hmac.compare_digest(signature, _signature(secret, unit_id, int(stamp_text)))


async def _form(
    request: Request,
    session: AsyncSession,
    secret: str,
    unit: Unit,
    *,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    error: str | None = None,
    **context: object,
) -> HTMLResponse:
    """The form, empty or again with what was sent; `error` names the message survey.html shows."""
    return render(
        request,
        "survey.html",
        status_code=status_code,
        unit=unit,
        staff=await service.survey_staff(session, unit_id=unit.id),
        questions=QUESTIONS,
        values=values or {},
        error=error,
        token=survey_token(secret, unit.id, clock.now()),
        comment_max=COMMENT_MAX,
        **context,
    )


def _answer(unit_id: int, values: dict[str, str]) -> FeedbackCreate | tuple[str, tuple[str, ...]]:
    """The posted form as an answer, or (error, the codes of unanswered questions)."""
    answers = [values.get(q.code.lower(), "") for q in QUESTIONS]
    missing = tuple(
        q.code for q, answer in zip(QUESTIONS, answers, strict=True) if answer not in ANSWER_VALUES
    )
    if missing:
        return "missing", missing
    comment = values.get("comment", "").strip()
    if len(comment) > COMMENT_MAX:
        return "comment", ()
    employee = values.get("employee_id", "")
    if employee and not employee.isdigit():
        return "employee", ()
    return FeedbackCreate(
        unit_id=unit_id,
        employee_id=int(employee) if employee else None,
        answers=[int(answer) for answer in answers],
        comment=comment or None,
    )


@router.get("/survey/{unit_id}", response_class=HTMLResponse)
async def survey_form(unit_id: int, request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    unit = await get_unit(session, unit_id)
    return await _form(request, session, runtime.secret_key, unit)


@router.post("/survey/{unit_id}")
async def submit_survey(unit_id: int, request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    unit = await get_unit(session, unit_id)
    form = await request.form(max_files=0, max_fields=20)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    secret = runtime.secret_key
    try:
        # The same counter as the API, so a client cannot double its allowance by using both.
        await runtime.limiter.hit(SURVEY_ANSWERS, client_address(request))
    except TooManyRequests as exc:
        response = await _form(
            request,
            session,
            secret,
            unit,
            status_code=429,
            values=values,
            error="limit",
            retry_minutes=-(-exc.retry_after // 60),
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if not survey_token_valid(secret, unit.id, values.get("token", ""), clock.now()):
        return await _form(request, session, secret, unit, status_code=403, values=values, error="token")
    answer = _answer(unit.id, values)
    if isinstance(answer, tuple):
        error, missing = answer
        return await _form(
            request, session, secret, unit, status_code=422, values=values, error=error, missing=missing
        )
    try:
        await service.record_feedback(session, data=answer)
    except service.NotUnitStaff:
        # The picker offers only this unit's staff: this is a page left open too long or a tampered form.
        return await _form(request, session, secret, unit, status_code=422, values=values, error="employee")
    return RedirectResponse(f"/survey/{unit.id}/terima-kasih", status_code=303)


@router.get("/survey/{unit_id}/terima-kasih", response_class=HTMLResponse)
async def survey_thanks(unit_id: int, request: Request, session: SessionDep) -> Response:
    unit = await get_unit(session, unit_id)
    return render(request, "survey_thanks.html", unit=unit)


@router.get("/survey/{unit_id}/poster", response_class=HTMLResponse)
async def survey_poster(unit_id: int, request: Request, session: SessionDep) -> Response:
    """A printable A4 poster for the service counter: the unit's name and a QR code to its survey."""
    unit = await get_unit(session, unit_id)
    survey_url = str(request.url_for("survey_form", unit_id=unit.id))
    qr = segno.make(survey_url, error="m")
    svg = qr.svg_inline(scale=1, dark="#000000", light="#ffffff", omitsize=True)
    return render(request, "survey_poster.html", unit=unit, survey_url=survey_url, qr_svg=Markup(svg))

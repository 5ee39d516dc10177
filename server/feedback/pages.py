"""The public survey form (SKM): no sign-in, a phone or a counter kiosk, works without JavaScript."""

import secrets
from dataclasses import dataclass

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Unit
from server.accounts.service import get_unit
from server.bodylimit import body_limited_route
from server.deps import RuntimeDep, SessionDep
from server.errors import PantauError, TooManyRequests
from server.feedback import review_pages, service, tokens
from server.feedback.ikm import ELEMENTS
from server.feedback.models import COMMENT_MAX, TOKEN_MAX, FeedbackSubmit
from server.feedback.routes import (
    DEVICE_COOKIE,
    SURVEY_ANSWERS,
    WritingSessionDep,
    device_id,
    request_origin,
    token_rate_limit,
)
from server.pages.deps import PublicForm, form_number
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
FIELDS = (*(q.code.lower() for q in QUESTIONS), "employee_id", "comment", "token")

# The form is public, so there is no session to bind a CSRF token to. Instead every form carries a fresh
# single-use survey token for its unit (server/feedback/tokens.py): a post must come from a form this site
# served for this unit in the last two hours, and one form stores one answer however often it is sent.
MAX_FORM_BODY = 32 * 1024  # a 2,000-character comment, percent-encoded, with room to spare
ANSWER_VALUES = ("1", "2", "3", "4")
DEVICE_COOKIE_AGE = 2 * 365 * 24 * 3600

router = APIRouter(include_in_schema=False, route_class=body_limited_route(MAX_FORM_BODY))
router.include_router(review_pages.router)


async def _form(
    request: Request,
    session: AsyncSession,
    unit: Unit,
    *,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    error: str | None = None,
    **context: object,
) -> HTMLResponse:
    """The form, empty or again with what was sent, with a fresh token; `error` names the message
    survey.html shows."""
    issued = await tokens.issue_token(session, unit_id=unit.id)
    response = render(
        request,
        "survey.html",
        status_code=status_code,
        unit=unit,
        staff=await service.survey_staff(session, unit_id=unit.id),
        questions=QUESTIONS,
        values=values or {},
        error=error,
        token=issued.token,
        comment_max=COMMENT_MAX,
        **context,
    )
    _remember_device(request, response)
    return response


def _remember_device(request: Request, response: Response) -> None:
    """Give a browser without one a random device id (DOMAIN.md §2: a second answer for the same unit on
    the same day is stored as a duplicate). HttpOnly: no script reads it; Lax: other sites' posts lack it."""
    if device_id(request) is None:
        response.set_cookie(
            DEVICE_COOKIE,
            secrets.token_urlsafe(24),
            max_age=DEVICE_COOKIE_AGE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )


def _answer(unit_id: int, values: dict[str, str]) -> FeedbackSubmit | tuple[str, tuple[str, ...]]:
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
    employee = form_number(values.get("employee_id", ""))
    if values.get("employee_id", "").strip() and employee is None:
        return "employee", ()
    token = values.get("token", "")
    if not token or len(token) > TOKEN_MAX:
        return "token", ()
    return FeedbackSubmit(
        unit_id=unit_id,
        employee_id=employee,
        answers=[int(answer) for answer in answers],
        comment=comment or None,
        token=token,
    )


@router.get("/survey/{unit_id}", response_class=HTMLResponse, dependencies=[Depends(token_rate_limit)])
async def survey_form(unit_id: int, request: Request, session: WritingSessionDep) -> Response:
    unit = await get_unit(session, unit_id)
    return await _form(request, session, unit)


# What the page shows when the service refuses the answer: the message survey.html words, and the status.
_REFUSALS: dict[type[PantauError], tuple[str, int]] = {
    service.NotUnitStaff: ("employee", 422),  # a page left open too long, or a tampered form
    tokens.TokenUsed: ("used", 409),  # sent twice: the back button, a double tap
    tokens.TokenRefused: ("token", 422),  # expired (2 hours), or not this unit's form
}


@router.post("/survey/{unit_id}")
async def submit_survey(
    unit_id: int, request: Request, session: SessionDep, runtime: RuntimeDep, form: PublicForm
) -> Response:
    unit = await get_unit(session, unit_id)
    values = form.values(*FIELDS)
    try:
        # The same counter as the API, so a client cannot double its allowance by using both.
        await runtime.limiter.hit(SURVEY_ANSWERS, client_address(request))
    except TooManyRequests as exc:
        response = await _form(
            request,
            session,
            unit,
            status_code=429,
            values=values,
            error="limit",
            retry_minutes=-(-exc.retry_after // 60),
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    answer = _answer(unit.id, values)
    if isinstance(answer, tuple):
        error, missing = answer
        return await _form(
            request, session, unit, status_code=422, values=values, error=error, missing=missing
        )
    origin = request_origin(request, runtime.secret_key)
    try:
        await service.submit_feedback(session, data=answer, origin=origin)
    except tuple(_REFUSALS) as exc:
        # Nothing was written: the checks come before the token is spent and the answer stored. The
        # answers come back in a fresh form, so nobody has to fill it in again.
        error, status = _REFUSALS[type(exc)]
        return await _form(request, session, unit, status_code=status, values=values, error=error)
    # Duplicate or suspect answers get the same thanks: a person at a shared kiosk is not told they were
    # left out, and a script learns nothing from the reply.
    response = RedirectResponse(f"/survey/{unit.id}/thanks", status_code=303)
    _remember_device(request, response)
    return response


@router.get("/survey/{unit_id}/thanks", response_class=HTMLResponse)
async def survey_thanks(unit_id: int, request: Request, session: SessionDep) -> Response:
    unit = await get_unit(session, unit_id)
    return render(request, "survey_thanks.html", unit=unit)


@router.get("/survey/{unit_id}/poster", response_class=HTMLResponse)
async def survey_poster(unit_id: int, request: Request, session: SessionDep) -> Response:
    """A printable A4 poster for the service counter: the unit's name and a QR code to its survey, at
    PANTAU_PUBLIC_URL when it is set (a forged Host header must not end up printed on a wall)."""
    unit = await get_unit(session, unit_id)
    survey_url = public_url(request, f"/survey/{unit.id}")
    qr = segno.make(survey_url, error="m")
    svg = qr.svg_inline(scale=1, dark="#000000", light="#ffffff", omitsize=True)
    return render(request, "survey_poster.html", unit=unit, survey_url=survey_url, qr_svg=Markup(svg))


def public_url(request: Request, path: str) -> str:
    """An absolute link to `path` on this site: PANTAU_PUBLIC_URL when set, else the request's base URL."""
    base = request.app.state.runtime.settings.public_url or str(request.base_url).rstrip("/")
    return base + path

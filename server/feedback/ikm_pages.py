"""The published IKM of a unit (PermenPANRB 14/2017 requires the survey's results to be made public): a
public page, no sign-in, that prints on one A4 sheet for the notice board and is linked from the QR
poster. The numbers are the API's (`GET /api/v1/units/{id}/ikm`), from the same service function."""

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from server import clock
from server.accounts.service import get_unit
from server.calendar.periods import InvalidPeriod, month_of, parse_period
from server.deps import SessionDep
from server.feedback import service
from server.feedback.ikm import CLASSES, ELEMENTS, IKM_MAX, KM_UNKNOWN_POPULATION
from server.pages.render import render
from server.performance.views import period_choices

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Grade:
    """One row of the regulation's table: the IKM range (rounded to 2 decimals) of a mutu."""

    low: Decimal
    high: Decimal
    mutu: str
    kinerja: str


# Each class ends 0.01 below the lower bound of the class above it (the IKM is classified rounded).
GRADES: tuple[Grade, ...] = tuple(
    Grade(low, CLASSES[i - 1][0] - Decimal("0.01") if i else IKM_MAX, mutu, kinerja)
    for i, (low, mutu, kinerja) in enumerate(CLASSES)
)


def fixed(value: float | Decimal | None, locale: str) -> str:
    """82,50 with both decimals, as the regulation's tables print an IKM or NRR (the pages' `number`
    filter drops trailing zeros); "–" when there is no value."""
    return "–" if value is None else format_decimal(value, format="#,##0.00", locale=locale)


@router.get("/units/{unit_id}/ikm", response_class=HTMLResponse)
async def unit_ikm_page(
    unit_id: int, request: Request, session: SessionDep, period: str | None = None
) -> Response:
    """`?period=` a month (2026-11), quarter (2026-Q4) or year (2026); none is the current month (WIB).
    An unknown unit is the 404 page; a period that cannot be read is this page with the message at the
    period field (422)."""
    unit = await get_unit(session, unit_id)
    try:
        shown = parse_period(period)
    except InvalidPeriod:
        return render(
            request,
            "unit_ikm.html",
            status_code=422,
            unit=unit,
            report=None,
            period=None,
            asked=period,
            period_error=True,
            choices=period_choices(month_of(clock.now())),
            elements=ELEMENTS,
            grades=GRADES,
            fixed=fixed,
        )
    report = await service.unit_ikm(session, unit_id=unit_id, period=shown)
    return render(
        request,
        "unit_ikm.html",
        unit=unit,
        report=report,
        period=shown,
        asked=period,
        period_error=False,
        choices=period_choices(shown),
        elements=[(code, name, nrr) for (code, name), nrr in zip(ELEMENTS, report.per_element, strict=True)],
        grades=GRADES,
        fixed=fixed,
        unknown_population_sample=KM_UNKNOWN_POPULATION,
        generated_at=clock.now(),
    )

"""The admin's unit pages: the unit tree with each unit's population and links, a form to add a unit and
one to change it. The rules (a parent must exist, no unit under itself) are accounts.service's."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts import service as accounts
from server.accounts.admin_views import Errors, people_per_unit, unit_tree
from server.accounts.models import UnitCreate, UnitUpdate
from server.deps import SessionDep
from server.pages.deps import AdminPage, Form, PageForm, PageRoute, form_number
from server.pages.forms import attempt
from server.pages.render import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
FIELDS = ("name", "parent_id", "population")


def _unit_fields(form: Form) -> tuple[dict[str, Any], Errors]:
    """The fields as UnitCreate/UnitUpdate take them, and the codes of what admin_units.html says next to
    a field that cannot be read (the models' own rules, such as the name's length, are said by
    validation_problem)."""
    name, parent_id, population = (form.text(field) for field in FIELDS)
    errors: Errors = {}
    values: dict[str, Any] = {"name": name.strip(), "parent_id": None, "population": None}
    if not name.strip():
        errors["name"] = "required"
    if parent_id.strip():
        values["parent_id"] = form_number(parent_id)
        if values["parent_id"] is None:
            errors["parent_id"] = "unknown"
    if population.strip():
        values["population"] = form_number(population)
        if not values["population"]:
            errors["population"] = "population"
    return values, errors


async def _units(
    request: Request,
    session: AsyncSession,
    *,
    status_code: int = 200,
    errors: Errors | None = None,
    form: dict[str, str] | None = None,
    detail: str | None = None,
) -> Response:
    units = await accounts.list_units(session)
    saved = request.query_params.get("saved", "")
    return render(
        request,
        "admin_units.html",
        status_code=status_code,
        tree=unit_tree(units),
        people=await people_per_unit(session),
        errors=errors or {},
        form=form or {},
        detail=detail,
        saved=next((u for u in units if str(u.id) == saved), None),
    )


@router.get("/admin/units", response_class=HTMLResponse)
async def units_page(request: Request, session: SessionDep, admin: AdminPage) -> Response:
    """The unit tree with each unit's population and links to its board, targets and survey poster."""
    return await _units(request, session)


@router.post("/admin/units")
async def create_unit(request: Request, session: SessionDep, admin: AdminPage, form: PageForm) -> Response:
    values, errors = _unit_fields(form)
    if errors:
        return await _units(request, session, status_code=422, errors=errors, form=form.values(*FIELDS))
    unit, problem = await attempt(
        lambda: accounts.create_unit(session, data=UnitCreate(**values), by_id=admin.id), session=session
    )
    if unit is None:
        return await _units(request, session, status_code=422, form=form.values(*FIELDS), detail=problem)
    return RedirectResponse(f"/admin/units?saved={unit.id}#unit-{unit.id}", status_code=303)


async def _unit_edit(
    request: Request,
    session: AsyncSession,
    unit_id: int,
    *,
    status_code: int = 200,
    errors: Errors | None = None,
    form: dict[str, str] | None = None,
    detail: str | None = None,
) -> Response:
    unit = await accounts.get_unit(session, unit_id)
    below = accounts.subtree_in(await accounts.unit_parents(session), unit_id)
    parents = [row for row in unit_tree(await accounts.list_units(session)) if row.unit.id not in below]
    current = {
        "name": unit.name,
        "parent_id": str(unit.parent_id or ""),
        "population": str(unit.population or ""),
    }
    return render(
        request,
        "admin_unit_edit.html",
        status_code=status_code,
        unit=unit,
        parents=parents,
        errors=errors or {},
        form=form if form is not None else current,
        detail=detail,
    )


@router.get("/admin/units/{unit_id}", response_class=HTMLResponse)
async def unit_edit_page(request: Request, unit_id: int, session: SessionDep, admin: AdminPage) -> Response:
    return await _unit_edit(request, session, unit_id)


@router.post("/admin/units/{unit_id}")
async def update_unit(
    request: Request, unit_id: int, session: SessionDep, admin: AdminPage, form: PageForm
) -> Response:
    unit = await accounts.get_unit(session, unit_id)
    shown = form.values(*FIELDS)
    values, errors = _unit_fields(form)
    if errors:
        return await _unit_edit(request, session, unit_id, status_code=422, errors=errors, form=shown)
    _, problem = await attempt(
        lambda: accounts.update_unit(session, by_id=admin.id, unit=unit, data=UnitUpdate(**values)),
        session=session,
    )
    if problem:
        return await _unit_edit(request, session, unit_id, status_code=422, form=shown, detail=problem)
    return RedirectResponse(f"/admin/units?saved={unit_id}#unit-{unit_id}", status_code=303)

"""The program's dashboard, its activity workbook (XLSX) and its monthly report (PDF)."""

from __future__ import annotations

from datetime import date, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from terreau.activities import dashboard as dashboards
from terreau.activities import exports
from terreau.activities.reports import open_incidents
from terreau.activities.sessions import local_dt
from terreau.activities.views.common import ctx, get_program, next_month, visible_sites
from terreau.core import dates, french
from terreau.core.access import visible
from terreau.core.audit import audit_export
from terreau.programs.equipment import EquipmentItem
from terreau.programs.models import Program


def _dashboard_period(request) -> tuple[date | None, date | None, list[str]]:
    """The period from "du" to "au" (inclusive, AAAA-MM-JJ): a bad or implausible bound is left out,
    with the French message that says why."""
    bounds: list[date | None] = []
    problems: list[str] = []
    for name in ("du", "au"):
        try:
            bounds.append(dates.parse_day(request.GET.get(name)))
        except dates.QueryDateError as err:
            bounds.append(None)
            problems.append(err.message)
    return bounds[0], bounds[1], problems


def _dashboard_scope(request, program) -> dashboards.Scope:
    """The dashboard's filters (site, department, period from "du" to "au" inclusive) as a scope."""
    site, dept = request.GET.get("site", ""), request.GET.get("departement", "")
    start, end, _problems = _dashboard_period(request)
    return dashboards.scope_for(
        user=request.user,
        program=program,
        site_id=int(site) if site.isdigit() else None,
        department=dept[:3] or None,
        start=local_dt(start, time.min) if start else None,
        end=local_dt(end + timedelta(days=1), time.min) if end else None,
    )


def _equipment(request, program):
    return visible(request.user, EquipmentItem.objects.filter(program=program))


@login_required
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program(request, slug)
    for problem in dict.fromkeys(_dashboard_period(request)[2]):
        messages.warning(request, problem)
    dash = dashboards.build(scope=_dashboard_scope(request, program), equipment=_equipment(request, program))
    sites = visible_sites(request, program)
    # The filter names each department ("Vienne (86)") in French alphabetical order, not by its bare code.
    labels = {
        s.commune.department_id: f"{s.commune.department.name} ({s.commune.department_id})" for s in sites
    }
    departments = sorted(labels.items(), key=lambda item: french.sort_key(item[1]))
    return render(
        request,
        "activities/dashboard.html",
        ctx(
            request,
            program,
            dash=dash,
            open_incidents=sum(q.count() for q in open_incidents(user=request.user, program=program)),
            sites=sites,
            departments=departments,
            query=request.GET.urlencode(),
            this_month=f"{timezone.localdate():%Y-%m}",
        ),
    )


@login_required
def dashboard_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program(request, slug)
    if _dashboard_period(request)[2]:
        # Back to the dashboard, which tells what is wrong with the period, rather than another period.
        return _back_to_dashboard(request, program)
    scope = _dashboard_scope(request, program)
    dash = dashboards.build(scope=scope, equipment=_equipment(request, program))
    body = exports.dashboard_xlsx(dash, scope.sessions(), program_name=program.name)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{program.slug}-activite.xlsx"'
    audit_export(request, target=f"{program.slug}-activite.xlsx", obj=program)
    return response


@login_required
def monthly_report(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program(request, slug)
    try:
        month = dates.parse_month(request.GET.get("mois")) or timezone.localdate().replace(day=1)
    except dates.QueryDateError as err:
        messages.error(request, err.message)
        return _back_to_dashboard(request, program)
    scope = dashboards.scope_for(
        user=request.user,
        program=program,
        start=local_dt(month, time.min),
        end=local_dt(next_month(month), time.min),
    )
    dash = dashboards.build(scope=scope, equipment=_equipment(request, program))
    body = exports.monthly_pdf(dash, program_name=program.name, branch_name=program.branch.name, month=month)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{program.slug}-{month:%Y-%m}.pdf"'
    return response


def _back_to_dashboard(request: HttpRequest, program: Program) -> HttpResponse:
    query = request.GET.copy()
    query.pop("mois", None)
    url = reverse("activities:dashboard", kwargs={"slug": program.slug})
    return redirect(f"{url}?{query.urlencode()}" if query else url)

"""The program's open incidents, both kinds: those on a named item (the equipment's life, closed by its repair
or when it is found) and those about a site, noted in a session report (closed here by the coordination)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.activities.models import ReportIncident
from terreau.activities.reports import incident_resolve, open_incidents
from terreau.activities.views.common import coordinated_program, ctx, get_program
from terreau.core.access import get_for


@login_required
def incidents(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program(request, slug)
    items, sites = open_incidents(user=request.user, program=program)
    return render(request, "activities/incidents.html", ctx(request, program, items=items, sites=sites))


@login_required
@require_POST
def incident_resolve_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = coordinated_program(request, slug)
    incident = get_for(
        request.user,
        ReportIncident.objects.filter(report__session__site__program=program),
        action="change",
        pk=pk,
    )
    try:
        incident_resolve(incident=incident, by=request.user)
    except ValidationError as err:
        for message in err.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Incident marqué comme résolu."))
    return redirect("activities:incidents", slug=program.slug)

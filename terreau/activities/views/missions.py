"""Civic-service volunteers (missions) of a program: list and form (coordinators)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.accounts.models import User
from terreau.activities.forms import MissionForm
from terreau.activities.missions import mission_save
from terreau.activities.models import Mission
from terreau.activities.views.common import coordinated_program, ctx, form_errors, get_program, visible_sites
from terreau.core.access import accounts_for, get_for, visible
from terreau.directory.models import Organisation
from terreau.territories.models import Commune


@login_required
def missions(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program(request, slug)
    rows = visible(request.user, Mission.objects.filter(program=program)).select_related("host_organisation")
    rows = rows.prefetch_related("sites")
    return render(
        request, "activities/missions.html", ctx(request, program, missions=rows, today=timezone.localdate())
    )


@login_required
def mission_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    program = coordinated_program(request, slug)
    mission = (
        get_for(request.user, Mission.objects.filter(program=program), action="change", pk=pk)
        if pk
        else Mission(program=program)
    )
    # Only what the coordinator may pick, and the mission's current choices: the organisations of the
    # program's branch they see, and the accounts of terreau.core.access.accounts_for.
    local = visible(request.user, Organisation.objects.filter(branch=program.branch_id))
    accounts = accounts_for(request.user).filter(is_active=True)
    form = MissionForm(
        request.POST or None,
        instance=mission,
        sites=visible_sites(request, program),
        organisations=Organisation.objects.filter(
            Q(pk__in=local.values("pk")) | Q(pk=mission.host_organisation_id)
        ).order_by("name"),
        users=User.objects.filter(Q(pk__in=accounts.values("pk")) | Q(pk=mission.user_id)).order_by("email"),
        communes=Commune.objects.filter(department__in=program.departments.all()).order_by("name")
        if program.departments.exists()
        else Commune.objects.order_by("name"),
    )
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        try:
            mission_save(mission=obj, sites=form.cleaned_data["sites"], by=request.user)
        except ValidationError as err:
            form_errors(form, err)
        else:
            messages.success(request, _("Mission enregistrée."))
            return redirect("activities:missions", slug=program.slug)
    title = _("Modifier la mission") if pk else _("Nouvelle mission de service civique")
    return render(request, "activities/form.html", ctx(request, program, form=form, title=title))

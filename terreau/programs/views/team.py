"""A program's team: its members and the history of grants, adding someone by e-mail, removing a role
(through terreau.programs.team)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.core.access import get_for, visible
from terreau.core.forms_flow import submit
from terreau.core.links import site_root
from terreau.programs import forms
from terreau.programs import team as team_services
from terreau.programs.models import HostSite, ProgramRole, ProgramRoleChange
from terreau.programs.views.common import may_change, program_for


@login_required
def team(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for(request, slug)
    can_edit = may_change(request.user, program)
    sites = visible(request.user, HostSite.objects.filter(program=program))
    form = forms.TeamForm(request.POST or None, sites=sites)
    done = submit(
        request,
        form,
        allowed=can_edit,
        run=lambda: team_services.team_add(
            program=program,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            site=form.cleaned_data["site"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            by=request.user,
            site_url=site_root(request),
        ),
        success=_("La personne a été ajoutée à l'équipe et prévenue par courriel."),
        then=lambda _role: redirect("programs:team", slug=program.slug),
    )
    if done is not None:
        return done
    members = visible(
        request.user, ProgramRole.objects.filter(program=program).select_related("user", "site")
    )
    context = {
        "program": program,
        "can_edit": can_edit,
        "members": members.order_by("role", "user__last_name"),
        # Who granted or revoked which role, and when (newest first), for those who manage the team.
        "history": visible(
            request.user,
            ProgramRoleChange.objects.filter(program=program).select_related("member", "site", "by"),
        ).order_by("-at", "-pk")[:50]
        if can_edit
        else [],
        "form": form,
        "nav": "programs",
    }
    return render(request, "programs/team.html", context)


@login_required
@require_POST
def team_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = program_for(request, slug, action="change")
    role = get_for(request.user, ProgramRole.objects.filter(program=program), action="change", pk=pk)
    team_services.team_remove(role=role, by=request.user)
    messages.success(request, _("Rôle retiré."))
    return redirect("programs:team", slug=program.slug)

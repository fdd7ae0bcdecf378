"""The programs a user reaches (list), a program's page and its edit form."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from terreau.core.access import actor_for, visible
from terreau.core.forms_flow import submit
from terreau.programs import forms, services
from terreau.programs.equipment import ProgramDocument
from terreau.programs.hooks import program_panels
from terreau.programs.models import HostSite, Program, ProgramPartner, ProgramRole
from terreau.programs.views.common import may_change, program_for


@login_required
def program_list(request: HttpRequest) -> HttpResponse:
    programs = visible(request.user, Program.objects.select_related("branch"))
    # Site staff and volunteers reach their sites even when they cannot see the whole program.
    own_sites = (
        visible(request.user, HostSite.objects.select_related("program", "commune"))
        .exclude(program__in=programs)
        .order_by("program__name", "name")
    )
    return render(
        request,
        "programs/program_list.html",
        {"programs": programs, "own_sites": own_sites, "nav": "programs"},
    )


def program_detail(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for(request, slug)
    user = request.user
    can_edit = may_change(user, program)
    sites = visible(user, HostSite.objects.filter(program=program).select_related("commune", "organisation"))
    # Who sees the program only because it is public (another branch's staff, visitors) gets its general
    # information, without its partners, sites, team and documents (hidden from them) nor management links.
    insider = can_edit or program.pk in actor_for(user).program_viewer_ids or sites.exists()
    context = {
        "program": program,
        "can_edit": can_edit,
        "insider": insider,
        "departments": program.departments.all(),
        "partners": visible(
            user, ProgramPartner.objects.filter(program=program).select_related("organisation")
        ),
        "sites": sites,
        "team": visible(
            user, ProgramRole.objects.filter(program=program).select_related("user", "site")
        ).order_by("role", "user__last_name"),
        "documents": visible(user, ProgramDocument.objects.filter(program=program)),
        "document_form": forms.DocumentForm(),
        "panels": program_panels(request, program),
        "nav": "programs",
    }
    return render(request, "programs/program_detail.html", context)


@login_required
def program_edit(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for(request, slug, action="change")
    form = forms.ProgramForm(request.POST or None, instance=program)
    done = submit(
        request,
        form,
        run=lambda: services.program_update(program=program, data=form.cleaned_data, by=request.user),
        success=_("Programme enregistré."),
        then=lambda _program: redirect(program),
    )
    if done is not None:
        return done
    return render(
        request, "programs/program_form.html", {"program": program, "form": form, "nav": "programs"}
    )

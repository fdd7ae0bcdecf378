"""A program's partners: the list, adding one or changing its roles, removing one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from terreau.core.access import get_for, visible
from terreau.core.forms_flow import submit
from terreau.directory.models import Organisation
from terreau.programs import forms, services
from terreau.programs.models import ProgramPartner
from terreau.programs.views.common import may_change, program_for


@login_required
def partners(request: HttpRequest, slug: str) -> HttpResponse:
    program = program_for(request, slug)
    can_edit = may_change(request.user, program)
    organisations = visible(request.user, Organisation.objects.all()).filter(branch=program.branch)
    form = forms.PartnerForm(request.POST or None, organisations=organisations)
    done = submit(
        request,
        form,
        allowed=can_edit,
        run=lambda: services.partner_set(
            program=program,
            organisation=form.cleaned_data["organisation"],
            roles=form.cleaned_data["roles"],
            note=form.cleaned_data["note"],
            by=request.user,
        ),
        success=_("Partenaire enregistré."),
        then=lambda _partner: redirect("programs:partners", slug=program.slug),
    )
    if done is not None:
        return done
    context = {
        "program": program,
        "can_edit": can_edit,
        "partners": visible(
            request.user, ProgramPartner.objects.filter(program=program).select_related("organisation")
        ),
        "form": form,
        "nav": "programs",
    }
    return render(request, "programs/partners.html", context)


@login_required
@require_POST
def partner_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program = program_for(request, slug, action="change")
    partner = get_for(request.user, ProgramPartner.objects.filter(program=program), action="change", pk=pk)
    services.partner_remove(partner=partner, by=request.user)
    messages.success(request, _("Partenaire retiré."))
    return redirect("programs:partners", slug=program.slug)
